/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The maps every sensor program shares. Each family is compiled on its own
 * and the objects are linked into one (bpftool gen object): maps.bpf.c
 * defines the maps (VG_DEFINE_MAPS), every other file declares them extern,
 * so the linked object holds exactly one of each and one ring buffer.
 * libbpf's linker requires an extern declaration to match the definition
 * field for field, which is why both come from this one header.
 */
#ifndef VIGIL_VG_MAPS_H
#define VIGIL_VG_MAPS_H

#ifdef VG_DEFINE_MAPS
#define VG_MAP_DECL
#else
#define VG_MAP_DECL extern
#endif

/* Arguments of a syscall in flight, saved at sys_enter, consumed at sys_exit. */
struct vg_stash {
	__u64 args[6];
	__u32 type; /* enum vg_event_type the entry was saved for */
	__u32 _pad;
};

/*
 * Dentry / kernfs names collected leaf first, emitted root first. The walk's
 * counters live here rather than on the stack on purpose: values loaded from
 * map memory are unknown to the verifier, so every loop iteration looks alike
 * and states prune, where a precisely tracked counter would make it explore
 * each combination of branches (and give up at a million instructions).
 */
struct vg_walk {
	__u64 names[64];
	__u32 n;   /* names collected */
	__u32 pos; /* bytes written so far */
};

struct vg_scratch {
	__u8 buf[VG_SCRATCH_SIZE];
};

#define VG_EVENTS_SIZE (16 << 20) /* user space may resize before load */
#define VG_STASH_MAX   16384      /* threads inside a traced syscall at once */

/* The one ring buffer all records go to. */
VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, VG_EVENTS_SIZE);
} vg_events SEC(".maps");

VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vg_stats);
} vg_stats SEC(".maps");

VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vg_config);
} vg_config SEC(".maps");

/*
 * Per event type, how many bytes of an I/O call's data to copy into its record
 * (evt.buffer); 0, the default, copies none. Written by user space from the
 * loaded rules (src/plan/capture.ts), at most VG_PATH_MAX.
 */
VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VG_EVT_MAX);
	__type(key, __u32);
	__type(value, __u32);
} vg_snaplen SEC(".maps");

/*
 * The socket prefilter (src/plan/socket-filter.ts): per domain below
 * VG_SOCK_DOMAINS, bit t set drops a socket(2) of base type t (type & 0xf)
 * that no loaded rule can match. All 0, the default, reports every socket.
 */
#define VG_SOCK_DOMAINS 64

VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VG_SOCK_DOMAINS);
	__type(key, __u32);
	__type(value, __u32);
} vg_sock_filter SEC(".maps");

/* Records are built here, then copied out with bpf_ringbuf_output(exact size). */
VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vg_scratch);
} vg_scratch SEC(".maps");

VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vg_walk);
} vg_walk SEC(".maps");

/* When this CPU last forced a wakeup of the ring buffer reader (vg_record.h). */
VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} vg_wakeup SEC(".maps");

/* Keyed by tid: a thread is in at most one syscall. LRU bounds it when exits are missed. */
VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VG_STASH_MAX);
	__type(key, __u32);
	__type(value, struct vg_stash);
} vg_stash SEC(".maps");

#endif /* VIGIL_VG_MAPS_H */
