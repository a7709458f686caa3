/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The kill check the sensor programs call just before sending a record:
 * the record's comm and first string (exec: the exe path walked from the
 * dentries; file family: the path as the process passed it) are looked up in
 * vg_enf_policy for the record's event type; a match whose uid holds gets
 * SIGKILL from bpf_send_signal, delivered when the task returns to user space.
 * At sched_process_exec that is before the new program's first instruction;
 * at a sys_exit tracepoint the syscall itself has completed (a file was
 * opened, nothing read from it yet).
 *
 * The kernel compares exact strings only. What it cannot see (a relative path,
 * a path of VG_ENF_VAL_MAX bytes or more) is not matched here, and user space,
 * which evaluates the full rule on the record, kills by pidfd instead.
 */
#ifndef VIGIL_VG_ENFORCE_H
#define VIGIL_VG_ENFORCE_H

#include "vg_record.h"
#include "vg_enforce_maps.h"

/* Whether a BPF LSM program (bpf/lsm/deny.bpf.c) checks this deny entry: a path, on these types. */
static __always_inline bool vg_enf_lsm_checks(struct vg_enf_key *k) {
	switch (k->type) {
	case VG_EVT_EXECVE:
	case VG_EVT_OPEN:
	case VG_EVT_OPENAT:
	case VG_EVT_OPENAT2:
	case VG_EVT_UNLINK:
	case VG_EVT_UNLINKAT:
	case VG_EVT_RENAME:
	case VG_EVT_RENAMEAT:
	case VG_EVT_RENAMEAT2:
		return k->field == VG_ENF_F_STR0;
	}
	return false;
}

/* Whether a matched entry acts here: kill, or deny no LSM program checks (deny falls back to kill).
 */
static __always_inline bool vg_enf_rule_kills(struct vg_enf_rule *rule, struct vg_enf_key *k,
                                              __u32 uid, bool lsm) {
	if (!rule || !vg_enf_uid_ok(rule, uid))
		return false;
	return rule->action == VG_ENF_KILL ||
	       (rule->action == VG_ENF_DENY && !(lsm && vg_enf_lsm_checks(k)));
}

/* The policy rule id of a kill entry for this key, 0 for none (ids start at 1). */
static __always_inline __u32 vg_enf_lookup_kill(struct vg_enf_key *k, __u32 uid, bool lsm) {
	struct vg_enf_rule *rule = bpf_map_lookup_elem(&vg_enf_policy, k);

	return vg_enf_rule_kills(rule, k, uid, lsm) ? rule->rule_id : 0;
}

/* The key buffer for one check, set to this generation and event type; NULL when nothing applies.
 */
static __always_inline struct vg_enf_key *
vg_enf_key_begin(struct vg_enf_cfg *c, struct task_struct *t, struct vg_hdr *h, __u16 type) {
	struct vg_enf_key *k;
	__u32 zero = 0;

	if (vg_enf_exempt_tgid(c, h->pid) || (BPF_CORE_READ(t, flags) & VG_PF_KTHREAD))
		return NULL;
	k = bpf_map_lookup_elem(&vg_enf_keybuf, &zero);
	if (!k)
		return NULL;
	__builtin_memset(k, 0, sizeof(*k));
	k->gen = c->gen;
	k->type = type;
	return k;
}

/* comm, then the record's first string (payload_size: the fixed payload it follows); a rule id. */
static __always_inline __u32 vg_enf_match_rec(struct vg_enf_cfg *c, struct vg_enf_key *k,
                                              struct vg_rec *r, __u32 payload_size) {
	struct vg_hdr *h = vg_rec_hdr(r);
	__u32 id;
	__u64 len;

	k->field = VG_ENF_F_COMM;
	__builtin_memcpy(k->val, h->comm, VG_COMM_LEN);
	id = vg_enf_lookup_kill(k, h->uid, c->lsm);
	if (id || !r->lens)
		return id;
	len = r->lens[0];
	barrier_var(len);
	if (len == 0 || len >= VG_ENF_VAL_MAX)
		return 0;
	/* The bound again, in the register the helper gets (6.1 lost it). */
	barrier_var(len);
	len &= VG_ENF_VAL_MAX - 1;
	__builtin_memset(k->val, 0, VG_COMM_LEN);
	k->field = VG_ENF_F_STR0;
	bpf_probe_read_kernel(k->val, len, r->buf + sizeof(struct vg_hdr) + payload_size);
	return vg_enf_lookup_kill(k, h->uid, c->lsm);
}

/*
 * SIGKILL to the current task unless the allow-list names it; the record says so and which
 * policy rule matched (VG_HDR_F_KILLED, deny_rule), so user space alerts on that rule.
 */
static __always_inline void vg_enf_kill(struct task_struct *t, struct vg_hdr *h, __u32 rule_id) {
	struct vg_enf_stats *st;

	if (vg_enf_allowed(t, h->uid))
		return;
	bpf_send_signal(VG_SIGKILL);
	h->flags |= VG_HDR_F_KILLED;
	h->deny_rule = rule_id;
	st = vg_enf_stats_get();
	if (st)
		st->kills++;
}

/* payload_size: the record's fixed payload, after which its first string starts. */
static __always_inline void vg_enforce_rec(struct vg_rec *r, __u16 type, __u32 payload_size) {
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct vg_hdr *h = vg_rec_hdr(r);
	struct vg_enf_cfg *c = vg_enf_active();
	struct vg_enf_key *k;
	__u32 id;

	if (!c)
		return;
	k = vg_enf_key_begin(c, t, h, type);
	if (!k)
		return;
	id = vg_enf_match_rec(c, k, r, payload_size);
	if (id)
		vg_enf_kill(t, h, id);
}

/* (after the lookups it uses; the exec program only: it defines a global function) */
#ifdef VG_ENFORCE_EXEC
#include "vg_enforce_text.h"

/*
 * At sched_process_exec (every execve and execveat, fexecve and memfd included, and scripts
 * once their interpreter is loaded): the record's checks, then the parent's comm (real_parent's
 * group leader, as the process table names the parent) and argv[0] as the new image holds it at
 * mm->arg_start (its pages were just written by exec, so the read does not fault). An argv[0]
 * that fills the buffer may be longer: it is not compared (user space decides). Then, when some
 * entry needs them, the parent's exe path and the prefix / contains checks of the command line.
 */
static __always_inline void vg_enforce_exec(struct vg_rec *r, __u32 payload_size,
                                            struct task_struct *t) {
	struct vg_hdr *h = vg_rec_hdr(r);
	struct vg_enf_cfg *c = vg_enf_active();
	struct task_struct *parent;
	struct vg_enf_key *k;
	__u32 id;
	long n;

	if (!c)
		return;
	k = vg_enf_key_begin(c, t, h, VG_EVT_EXECVE);
	if (!k)
		return;
	id = vg_enf_match_rec(c, k, r, payload_size);
	if (id)
		goto kill;
	__builtin_memset(k->val, 0, sizeof(k->val));
	k->field = VG_ENF_F_PCOMM;
	parent = BPF_CORE_READ(t, real_parent, group_leader);
	bpf_probe_read_kernel_str(k->val, VG_COMM_LEN, &parent->comm);
	id = vg_enf_lookup_kill(k, h->uid, c->lsm);
	if (id)
		goto kill;
	__builtin_memset(k->val, 0, sizeof(k->val));
	k->field = VG_ENF_F_ARGV0;
	n = bpf_probe_read_user_str(k->val, VG_ENF_VAL_MAX,
	                            (void *)BPF_CORE_READ(t, mm, arg_start));
	if (n > 1 && n < VG_ENF_VAL_MAX)
		id = vg_enf_lookup_kill(k, h->uid, c->lsm);
	if (!id && (c->fields & (VG_ENF_USE_PEXE | VG_ENF_USE_TEXT)))
		id = r->lens ? vg_enf_exec_extra(r->off, payload_size,
		                                 r->lens[0] | ((__u32)r->lens[1] << 16))
		             : 0;
	if (!id)
		return;
kill:
	vg_enf_kill(t, h, id);
}
#endif /* VG_ENFORCE_EXEC */

#endif /* VIGIL_VG_ENFORCE_H */
