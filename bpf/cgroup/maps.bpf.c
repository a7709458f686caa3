/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The enforcement maps' definition for the cgroup object. The agent loads this
 * object first; the sensor and LSM objects reuse its maps (libbpf reuse_fd).
 */
#define VG_DEFINE_MAPS
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "../enforce/vg_enforce_maps.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
