/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Building one record in the per-CPU scratch buffer: header, fixed payload,
 * then the payload's strings in str_len[] order, and sending it.
 *
 * Every string append first checks that the write position leaves room for
 * the largest string (VG_PATH_MAX): that check is what lets the verifier
 * prove each write stays inside the 32 KiB scratch buffer.
 */
#ifndef VIGIL_VG_RECORD_H
#define VIGIL_VG_RECORD_H

#include "vg_common.h"

#define VG_STR_ROOM (VG_SCRATCH_SIZE - VG_PATH_MAX)

struct vg_rec {
	__u8 *buf;   /* the scratch buffer: header at 0 */
	__u16 *lens; /* the payload's str_len[] */
	__u32 off;   /* where the next string goes = record length so far */
	bool loud;   /* wakes the reader even when its type is quiet (vg_wakeup_flag) */
};

static __always_inline struct vg_hdr *vg_rec_hdr(struct vg_rec *r) {
	return (struct vg_hdr *)r->buf;
}

/* Header filled for the current task, payload zeroed; returns the payload. */
static __always_inline void *vg_rec_begin(struct vg_rec *r, __u16 type, __s64 retval,
                                          __u32 payload_size) {
	__u32 zero = 0;
	struct vg_scratch *s = bpf_map_lookup_elem(&vg_scratch, &zero);

	if (!s) {
		vg_count_scratch_fail();
		return NULL;
	}
	r->buf = s->buf;
	r->lens = NULL;
	r->loud = false;
	vg_hdr_fill((struct vg_hdr *)s->buf, type, retval);
	__builtin_memset(s->buf + sizeof(struct vg_hdr), 0, payload_size);
	r->off = sizeof(struct vg_hdr) + payload_size;
	return s->buf + sizeof(struct vg_hdr);
}

/* A string of n bytes was written at r->off: account for it. */
static __always_inline void vg_str_done(struct vg_rec *r, int i, __u32 n, bool cut) {
	r->lens[i] = n;
	r->off += n;
	if (cut)
		vg_rec_hdr(r)->truncated |= 1u << i;
}

/* Where the next string may go, or -1 when the buffer is full (then the string is cut). */
static __always_inline long vg_str_pos(struct vg_rec *r) {
	__u32 o = r->off;

	if (o > VG_STR_ROOM)
		return -1;
	return o;
}

/* A NUL-terminated string, up to max - 1 bytes (max <= VG_PATH_MAX). */
static __always_inline void vg_str_ustr(struct vg_rec *r, int i, const void *src, __u32 max,
                                        bool user) {
	long o = vg_str_pos(r);
	long n;

	if (!src)
		return;
	if (o < 0) {
		vg_str_done(r, i, 0, true);
		return;
	}
	if (user)
		n = bpf_probe_read_user_str(r->buf + o, max, src);
	else
		n = bpf_probe_read_kernel_str(r->buf + o, max, src);
	if (n <= 0)
		return;
	vg_str_done(r, i, n - 1, n == max);
}

#define vg_str_user(r, i, src, max)   vg_str_ustr(r, i, src, max, true)
#define vg_str_kernel(r, i, src, max) vg_str_ustr(r, i, src, max, false)

/* Raw bytes [src, src + len), at most max (<= VG_PATH_MAX) of them, NULs included. */
static __always_inline void vg_str_bytes(struct vg_rec *r, int i, const void *src, __u64 len,
                                         __u32 max, bool user) {
	long o = vg_str_pos(r);
	bool cut = false;
	__u64 n;
	long err;

	if (!src || !len)
		return;
	if (o < 0) {
		vg_str_done(r, i, 0, true);
		return;
	}
	if (len > max) {
		len = max;
		cut = true;
	}
	/* 64-bit and checked in the register the helper gets: a 32-bit copy loses the bound. */
	n = len;
	barrier_var(n);
	if (n > VG_PATH_MAX || n == 0)
		return;
	barrier_var(n);
	if (user)
		err = bpf_probe_read_user(r->buf + o, n, src);
	else
		err = bpf_probe_read_kernel(r->buf + o, n, src);
	if (err)
		return;
	vg_str_done(r, i, n, cut);
}

/*
 * Waking the reader costs more than building the record (an irq_work and,
 * in a VM, an IPI), so not every record wakes it. A record wakes the reader
 * when
 *  - it takes the unread data across a multiple of VG_WAKEUP_BYTES (a power
 *    of 2): while the reader is behind, that keeps it going; a multiple
 *    rather than one threshold, or two CPUs racing past it would both skip;
 *  - or this CPU has not woken it for VG_WAKEUP_NS: the first record after a
 *    quiet spell is read at once, whatever its size (alert latency), unless
 *    its type is quiet (vg_config.quiet: a process-table record no loaded
 *    rule asks for, which waits for the next record that wakes the reader or
 *    its own poll, in ring order, so the table is current for that record).
 * The records in between are read by the reader's own polls: it polls every
 * millisecond while records keep coming (native/src/ring_reader.cc), so no
 * record waits more than about VG_WAKEUP_NS for it. At most 1,000 wakeups
 * per second and CPU come from the time rule.
 */
#define VG_WAKEUP_SHIFT 16      /* 64 KiB */
#define VG_WAKEUP_NS    1000000 /* 1 ms */

static __always_inline __u64 vg_wakeup_flag(__u64 size, __u64 now, __u32 type, bool loud) {
	__u64 unread = bpf_ringbuf_query(&vg_events, BPF_RB_AVAIL_DATA);
	struct vg_config *c;
	__u32 zero = 0;
	__u64 *last;

	if ((unread >> VG_WAKEUP_SHIFT) != ((unread + size) >> VG_WAKEUP_SHIFT))
		return BPF_RB_FORCE_WAKEUP;
	last = bpf_map_lookup_elem(&vg_wakeup, &zero);
	if (!last || now - *last < VG_WAKEUP_NS)
		return BPF_RB_NO_WAKEUP;
	/* Only a record about to wake the reader pays for the quiet check. */
	c = bpf_map_lookup_elem(&vg_config, &zero);
	if (!loud && c && type < 32 && (c->quiet >> type) & 1)
		return BPF_RB_NO_WAKEUP;
	*last = now;
	return BPF_RB_FORCE_WAKEUP;
}

/* Output the record with its exact length; count it, or count the drop. */
static __always_inline int vg_rec_send(struct vg_rec *r) {
	struct vg_hdr *h = vg_rec_hdr(r);
	struct vg_stats *s = vg_stats_get();
	__u64 size = r->off;

	/* Two checks with a barrier between: merged into one range test, the bound is lost. */
	if (size < sizeof(*h))
		goto fail;
	barrier_var(size);
	if (size > VG_SCRATCH_SIZE)
		goto fail;
	h->size = size;
	if (bpf_ringbuf_output(&vg_events, r->buf, size,
	                       vg_wakeup_flag(size, h->ts_ns, h->type, r->loud))) {
		if (s)
			s->dropped++;
		return 0;
	}
	if (s) {
		s->events++;
		if (h->truncated)
			s->truncated++;
	}
	return 0;
fail:
	if (s)
		s->scratch_fail++;
	return 0;
}

#endif /* VIGIL_VG_RECORD_H */
