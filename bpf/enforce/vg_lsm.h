/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * What the BPF LSM programs (bpf/lsm/) share: the exemptions, the path policy lookup, and the
 * record a denial sends, in the sensor's wire format (events.h) with VG_HDR_F_DENIED, retval
 * -EPERM and vg_hdr.deny_rule, so user space raises the alert of the rule that denied.
 *
 * The LSM object has its own copies of the sensor's per-CPU buffers (vg_scratch, vg_walk): LSM
 * programs can be preempted (sleepable ones can sleep), tracepoint programs cannot, so sharing the
 * buffers would let a sensor record overwrite a half-built denial. Between LSM programs on one CPU
 * vg_lsm_busy guards them: a program that finds them in use sends no record (counted in
 * vg_stats.scratch_fail) but decides as always. Policy keys live on the stack for the same reason.
 * The ring buffer (vg_events) and vg_stats are the ones the sensor reads: user space opens the
 * sensor reusing this object's maps (src/enforce/policy-maps.ts).
 */
#ifndef VIGIL_VG_LSM_H
#define VIGIL_VG_LSM_H

#include "vg_path.h"
#include "vg_enforce_maps.h"

#define VG_EPERM          1
#define VG_LSM_ARG_MAX    256 /* bytes of one argv entry a denied exec records */
#define VG_LSM_ARGS       32  /* argv entries a denied exec records */
#define VG_LSM_PROTECT_ID 0   /* vg_hdr.deny_rule of a self-protection denial */

#if defined(__TARGET_ARCH_x86)
#define VG_NR_EXECVE     59
#define VG_NR_EXECVEAT   322
#define VG_SYSCALL_NR(r) BPF_CORE_READ(r, orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define VG_NR_EXECVE     221
#define VG_NR_EXECVEAT   281
struct pt_regs___arm64_lsm {
	int syscallno;
} __attribute__((preserve_access_index));
#define VG_SYSCALL_NR(r) BPF_CORE_READ((struct pt_regs___arm64_lsm *)(r), syscallno)
#endif

/* 1 while an LSM program on this CPU builds a record in vg_scratch / vg_walk. */
VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} vg_lsm_busy SEC(".maps");

/*
 * Program ids of the agent's programs, enforcing and sensor (user space fills it, from its own
 * descriptors): their links stay.
 */
VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} vg_lsm_own_progs SEC(".maps");

/* Map ids of the agent's maps (policy, sensor, LSM; user space fills it): no one else writes them.
 */
VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} vg_lsm_own_maps SEC(".maps");

/* Which policy entry denied: its rule id and the event type it was written for. */
struct vg_lsm_hit {
	__u32 rule_id;
	__u16 type;
};

static __always_inline bool vg_lsm_exempt(struct vg_enf_cfg *c) {
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return vg_enf_exempt_tgid(c, bpf_get_current_pid_tgid() >> 32) ||
	       (BPF_CORE_READ(t, flags) & VG_PF_KTHREAD);
}

static __always_inline void vg_lsm_count_deny(void) {
	struct vg_enf_stats *st = vg_enf_stats_get();

	if (st)
		st->denies++;
}

/* The key's string for each event type given; the first deny entry that applies. */
static __always_inline bool vg_lsm_lookup(struct vg_enf_key *k, const __u16 *types, int ntypes,
                                          struct vg_lsm_hit *hit) {
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	struct vg_enf_rule *r;

	for (int i = 0; i < 3; i++) {
		if (i >= ntypes)
			break;
		k->type = types[i];
		r = bpf_map_lookup_elem(&vg_enf_policy, k);
		if (r && r->action == VG_ENF_DENY && vg_enf_uid_ok(r, uid) &&
		    !vg_enf_allowed(t, uid)) {
			hit->rule_id = r->rule_id;
			hit->type = types[i];
			return true;
		}
	}
	return false;
}

/*
 * The key for a path from bpf_d_path (sleepable hooks only). d_path builds the path at the end of
 * the buffer and moves it to the front, leaving bytes after the NUL: the key must be NUL padded
 * to match, so they are cleared.
 */
static __always_inline bool vg_lsm_d_path_key(struct vg_enf_cfg *c, struct vg_enf_key *k,
                                              struct path *path) {
	long n;

	__u64 *w = (__u64 *)k->val;

	__builtin_memset(k, 0, sizeof(*k));
	n = bpf_d_path(path, k->val, sizeof(k->val));
	if (n <= 0 || n >= VG_ENF_VAL_MAX)
		return false;
	/* By 8-byte words, little-endian: a word the NUL falls in keeps its first n % 8 bytes. */
	for (int i = 0; i < VG_ENF_VAL_MAX / 8; i++) {
		long start = i * 8;

		if (start >= n)
			w[i] = 0;
		else if (start + 8 > n)
			w[i] &= (1ull << ((n - start) * 8)) - 1;
	}
	k->gen = c->gen;
	k->field = VG_ENF_F_STR0;
	return true;
}

static __always_inline bool vg_lsm_busy_take(void) {
	__u32 zero = 0;
	__u32 *b = bpf_map_lookup_elem(&vg_lsm_busy, &zero);

	if (!b || *b) {
		vg_count_scratch_fail();
		return false;
	}
	*b = 1;
	return true;
}

static __always_inline void vg_lsm_busy_give(void) {
	__u32 zero = 0;
	__u32 *b = bpf_map_lookup_elem(&vg_lsm_busy, &zero);

	if (b)
		*b = 0;
}

/* vg_rec_begin for a denial (call with vg_lsm_busy taken). */
static __always_inline void *vg_lsm_rec_begin(struct vg_rec *r, __u16 type, __u32 payload_size,
                                              __u32 rule_id) {
	void *p = vg_rec_begin(r, type, -VG_EPERM, payload_size);

	if (p) {
		vg_rec_hdr(r)->flags = VG_HDR_F_DENIED;
		vg_rec_hdr(r)->deny_rule = rule_id;
	}
	return p;
}

struct vg_argv_ctx {
	const char *const *argv;
	__u32 o;    /* where the string starts in the scratch buffer */
	__u32 used; /* bytes written, each entry's NUL included */
	__u32 argc;
	bool cut;
};

static long vg_argv_step(__u64 k, void *arg) {
	struct vg_argv_ctx *c = arg;
	__u8 *buf = vg_scratch_buf();
	const char *p = NULL;
	__u32 o = c->o, used = c->used;
	long n;

	if (!buf || o > VG_STR_ROOM)
		return 1;
	if (used > VG_ARGS_MAX - VG_LSM_ARG_MAX) {
		c->cut = true;
		return 1;
	}
	if (bpf_probe_read_user(&p, sizeof(p), &c->argv[k]) || !p)
		return 1;
	n = bpf_probe_read_user_str(buf + o + used, VG_LSM_ARG_MAX, p);
	if (n <= 0)
		return 1;
	if (n == VG_LSM_ARG_MAX)
		c->cut = true;
	c->used = used + n;
	c->argc++;
	return 0;
}

/*
 * argv of the exec being checked, into string i, read from the calling program's memory: at
 * bprm_check_security the old mm is still current, and the syscall's own argv pointer is in the
 * task's user registers. Returns argc (0 when the exec did not come from execve/execveat).
 */
static __always_inline __u32 vg_lsm_argv(struct vg_rec *r, int i) {
#ifdef VG_NR_EXECVE
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	struct vg_argv_ctx c = {};
	long nr = VG_SYSCALL_NR(regs);
	long o = vg_str_pos(r);

	if (o < 0)
		return 0;
	if (nr == VG_NR_EXECVE)
		c.argv = (const char *const *)PT_REGS_PARM2_CORE_SYSCALL(regs);
	else if (nr == VG_NR_EXECVEAT)
		c.argv = (const char *const *)PT_REGS_PARM3_CORE_SYSCALL(regs);
	else
		return 0;
	c.o = o;
	bpf_loop(VG_LSM_ARGS, vg_argv_step, &c, 0);
	if (c.used > VG_ARGS_MAX)
		return 0;
	vg_str_done(r, i, c.used, c.cut);
	return c.argc;
#else
	return 0;
#endif
}

/* Copies string 0 of a record being built (a path walked into it) into the key; false if cut. */
static __always_inline bool vg_lsm_str0_key(struct vg_enf_cfg *c, struct vg_rec *r,
                                            __u32 payload_size, struct vg_enf_key *k) {
	__u64 len = r->lens[0];

	__builtin_memset(k, 0, sizeof(*k));
	if (vg_rec_hdr(r)->truncated & 1)
		return false;
	barrier_var(len);
	if (len == 0 || len >= VG_ENF_VAL_MAX)
		return false;
	barrier_var(len);
	len &= VG_ENF_VAL_MAX - 1;
	bpf_probe_read_kernel(k->val, len, r->buf + sizeof(struct vg_hdr) + payload_size);
	k->gen = c->gen;
	k->field = VG_ENF_F_STR0;
	return true;
}

#endif /* VIGIL_VG_LSM_H */
