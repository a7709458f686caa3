/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The exec checks that cost more than a hash lookup, run only when some policy entry needs them
 * (vg_enf_cfg.fields): the parent's exe path, walked from its mm->exe_file, and prefix / contains
 * of proc.cmdline and proc.args over a bounded window (vg_enf_text), looked up in the LPM trie
 * vg_enf_prefix. The texts are built from the exec record's own argv, so the kernel compares the
 * bytes user space decodes, and the comm of the record's header, which user space names proc.name.
 */
#ifndef VIGIL_VG_ENFORCE_TEXT_H
#define VIGIL_VG_ENFORCE_TEXT_H

#include "vg_path.h"
#include "vg_enforce_maps.h"

/* The parent's exe path into k (field VG_ENF_F_PEXE); false when it has none or it does not fit. */
static __always_inline bool vg_enf_pexe_key(struct vg_rec *r, struct vg_enf_key *k) {
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file *f = BPF_CORE_READ(t, real_parent, group_leader, mm, exe_file);
	struct vg_hdr *h = vg_rec_hdr(r);
	__u32 truncated = h->truncated;
	__u16 len = 0;
	/* Walked past the record's end (not sent): the record itself is left as it was. */
	struct vg_rec tmp = {.buf = r->buf, .lens = &len, .off = r->off};
	long o = vg_str_pos(r);
	bool cut;
	__u64 n;

	if (!f || o < 0)
		return false;
	h->truncated = 0;
	vg_str_pathp(&tmp, 0, &f->f_path);
	cut = h->truncated & 1;
	h->truncated = truncated;
	n = len;
	barrier_var(n);
	if (cut || n == 0 || n >= VG_ENF_VAL_MAX)
		return false;
	barrier_var(n);
	n &= VG_ENF_VAL_MAX - 1;
	__builtin_memset(k->val, 0, sizeof(k->val));
	k->field = VG_ENF_F_PEXE;
	bpf_probe_read_kernel(k->val, n, r->buf + o);
	return true;
}

static __always_inline struct vg_enf_text *vg_enf_text_get(void) {
	__u32 zero = 0;
	return bpf_map_lookup_elem(&vg_enf_text, &zero);
}

/* The prefix entry matching tx->buf from start, for field: its rule id when it kills, else 0. */
static __always_inline __u32 vg_enf_text_lookup(struct vg_enf_text *tx, __u32 start, __u8 field) {
	struct vg_enf_rule *rule;

	if (start > VG_ENF_TEXT_HEAD + VG_ENF_TEXT_WIN)
		return 0;
	tx->key.prefixlen = VG_ENF_PFX_FULL;
	tx->key.field = field;
	bpf_probe_read_kernel(tx->key.val, VG_ENF_PFX_MAX, tx->buf + start);
	rule = bpf_map_lookup_elem(&vg_enf_prefix, &tx->key);
	/* No LSM hook checks these: deny is kill too. */
	if (!rule || !vg_enf_uid_ok(rule, tx->uid))
		return 0;
	return rule->rule_id;
}

/* NULs of the args (all but the text's last byte) become spaces, 8 bytes per step. */
static long vg_enf_space_step(__u64 i, void *arg) {
	__u32 n = *(__u32 *)arg;
	struct vg_enf_text *tx = vg_enf_text_get();
	__u32 base = i * 8;

	if (!tx || base >= n || base >= VG_ENF_TEXT_ARGS)
		return 1;
#pragma unroll
	for (int j = 0; j < 8; j++) {
		__u32 p = base + j;

		if (p + 1 < n && tx->buf[VG_ENF_TEXT_HEAD + (p & 511)] == 0)
			tx->buf[VG_ENF_TEXT_HEAD + (p & 511)] = ' ';
	}
	return 0;
}

/* contains: a prefix entry matching the text from one of its first VG_ENF_TEXT_WIN offsets. */
static long vg_enf_sub_step(__u64 i, void *arg) {
	struct vg_enf_text *tx = vg_enf_text_get();

	(void)arg;
	if (!tx || i >= tx->len || i >= VG_ENF_TEXT_WIN)
		return 1;
	tx->rule_id = vg_enf_text_lookup(tx, tx->start + (__u32)i, tx->field);
	return tx->rule_id ? 1 : 0;
}

static __always_inline __u32 vg_enf_contains(struct vg_enf_text *tx, __u32 start, __u32 len,
                                             __u8 field) {
	tx->start = start;
	tx->len = len;
	tx->field = field;
	tx->rule_id = 0;
	bpf_loop(VG_ENF_TEXT_WIN, vg_enf_sub_step, NULL, 0);
	return tx->rule_id;
}

/*
 * proc.args and proc.cmdline as user space joins them (decode/process.ts, cmdlineOf): argv after
 * argv[0], its NULs made spaces but for the last byte, after comm and a space when there is any.
 */
static __always_inline __u32 vg_enf_cmdline(struct vg_enf_cfg *c, struct vg_rec *r,
                                            __u32 payload_size) {
	struct vg_enf_text *tx = vg_enf_text_get();
	struct vg_hdr *h = vg_rec_hdr(r);
	__u32 fields = c->fields, id = 0;
	__u32 a0, rest, args_len, cmd, cmd_len, ncomm;
	__u8 *argv;
	__u64 n;
	long got;

	if (!tx || !r->lens)
		return 0;
	argv = r->buf + sizeof(struct vg_hdr) + payload_size + (r->lens[0] & (VG_PATH_MAX - 1));
	n = r->lens[1];
	__builtin_memset(tx->buf, 0, sizeof(tx->buf));
	if (n > 0) {
		/* argv[0] with its NUL: how far the args start. */
		got = bpf_probe_read_kernel_str(tx->buf, VG_ENF_TEXT_MAX, argv);
		a0 = got > 0 ? got : 0;
		if (a0 == 0 || a0 >= VG_ENF_TEXT_MAX)
			return 0; /* argv[0] longer than the window: user space decides */
		rest = n > a0 ? n - a0 : 0;
		__builtin_memset(tx->buf, 0, VG_ENF_TEXT_MAX);
	} else {
		a0 = 0;
		rest = 0;
	}
	if (rest > VG_ENF_TEXT_ARGS)
		rest = VG_ENF_TEXT_ARGS;
	barrier_var(rest);
	if (rest > 0 && rest <= VG_ENF_TEXT_ARGS)
		bpf_probe_read_kernel(tx->buf + VG_ENF_TEXT_HEAD, rest, argv + a0);
	bpf_loop(VG_ENF_TEXT_ARGS / 8, vg_enf_space_step, &rest, 0);
	args_len =
	    rest > 0 && tx->buf[VG_ENF_TEXT_HEAD + ((rest - 1) & 511)] == 0 ? rest - 1 : rest;
	/* comm, and a space before the args when argv has any. */
	got = bpf_probe_read_kernel_str(tx->key.val, VG_COMM_LEN, h->comm);
	ncomm = got > 1 ? (got - 1) & (VG_COMM_LEN - 1) : 0;
	cmd = VG_ENF_TEXT_HEAD - ncomm - (rest > 0 ? 1 : 0);
	if (cmd > VG_ENF_TEXT_HEAD)
		return 0;
	if (ncomm > 0)
		bpf_probe_read_kernel(tx->buf + cmd, ncomm, h->comm);
	if (rest > 0)
		tx->buf[VG_ENF_TEXT_HEAD - 1] = ' ';
	cmd_len = args_len + (VG_ENF_TEXT_HEAD - cmd);
	tx->uid = h->uid;
	tx->key.gen = c->gen;
	tx->key.type = VG_EVT_EXECVE;
	tx->key._pad = 0;
	if (fields & VG_ENF_USE_CMDLINE_PFX)
		id = vg_enf_text_lookup(tx, cmd, VG_ENF_F_CMDLINE_PFX);
	if (!id && (fields & VG_ENF_USE_ARGS_PFX))
		id = vg_enf_text_lookup(tx, VG_ENF_TEXT_HEAD, VG_ENF_F_ARGS_PFX);
	if (!id && (fields & VG_ENF_USE_CMDLINE_SUB))
		id = vg_enf_contains(tx, cmd, cmd_len, VG_ENF_F_CMDLINE_SUB);
	if (!id && (fields & VG_ENF_USE_ARGS_SUB))
		id = vg_enf_contains(tx, VG_ENF_TEXT_HEAD, args_len, VG_ENF_F_ARGS_SUB);
	return id;
}

/*
 * The parent's exe path and the command-line checks, as a global function: the verifier checks
 * it once, from its arguments alone, instead of once per path of the exec program that reaches
 * it (inlined, they made that program five times the work, more than an emulated CPU verifies
 * in the agent's start-up time). Scalars only: the record is the per-CPU scratch buffer, off its
 * length so far, lens its exe path and argv lengths (low and high half); the key buffer keeps
 * the generation and type vg_enf_key_begin set. Returns the rule id matched, 0 for none.
 */
__noinline int vg_enf_exec_extra(__u32 off, __u32 payload_size, __u32 lens) {
	struct vg_enf_cfg *c = vg_enf_active();
	__u16 l[2] = {lens & 0xffff, lens >> 16};
	struct vg_rec r = {.buf = vg_scratch_buf(), .lens = l, .off = off};
	struct vg_enf_key *k;
	__u32 zero = 0, id = 0;

	k = bpf_map_lookup_elem(&vg_enf_keybuf, &zero);
	if (!c || !k || !r.buf || payload_size > 512)
		return 0;
	if ((c->fields & VG_ENF_USE_PEXE) && vg_enf_pexe_key(&r, k))
		id = vg_enf_lookup_kill(k, vg_rec_hdr(&r)->uid, c->lsm);
	if (!id && (c->fields & VG_ENF_USE_TEXT))
		id = vg_enf_cmdline(c, &r, payload_size);
	return id;
}

#endif /* VIGIL_VG_ENFORCE_TEXT_H */
