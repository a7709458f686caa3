/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The one definition of the shared maps (the other sensor files declare them
 * extern) and the object's license: helpers such as bpf_probe_read_* need GPL.
 */
#define VG_DEFINE_MAPS
#include "vg_common.h"
#include "../enforce/vg_enforce_maps.h"
#include "vg_open_filter.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
