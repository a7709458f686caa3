/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The LSM object's maps. The enforcement maps (vg_enforce_maps.h) are the cgroup object's, reused
 * at open, so one policy write reaches every enforcing program; the sensor's maps (vg_maps.h) are
 * this object's own, and the sensor reuses this object's ring buffer and counters (vg_events,
 * vg_stats), so a denial's record reaches the decoder with every other record.
 */
#define VG_DEFINE_MAPS
#include "vg_common.h"
#include "../enforce/vg_lsm.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
