/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The enforcement maps for the LSM object. Where the kernel allows BPF LSM, the agent opens this
 * object reusing the cgroup object's maps, so one policy write reaches every enforcing program.
 */
#define VG_DEFINE_MAPS
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "../enforce/vg_enforce_maps.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
