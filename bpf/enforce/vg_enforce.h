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

/* Kill entries, and deny entries no LSM program checks (deny falls back to kill). */
static __always_inline bool vg_enf_lookup_kill(struct vg_enf_key *k, __u32 uid, bool lsm) {
	struct vg_enf_rule *rule = bpf_map_lookup_elem(&vg_enf_policy, k);

	if (!rule || !vg_enf_uid_ok(rule, uid))
		return false;
	return rule->action == VG_ENF_KILL ||
	       (rule->action == VG_ENF_DENY && !(lsm && vg_enf_lsm_checks(k)));
}

/* payload_size: the record's fixed payload, after which its first string starts. */
static __always_inline void vg_enforce_rec(struct vg_rec *r, __u16 type, __u32 payload_size) {
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct vg_hdr *h = vg_rec_hdr(r);
	struct vg_enf_cfg *c = vg_enf_active();
	struct vg_enf_stats *st;
	struct vg_enf_key *k;
	__u32 zero = 0;
	__u64 len;
	bool hit;

	if (!c || vg_enf_exempt_tgid(c, h->pid) || (BPF_CORE_READ(t, flags) & VG_PF_KTHREAD))
		return;
	k = bpf_map_lookup_elem(&vg_enf_keybuf, &zero);
	if (!k)
		return;
	__builtin_memset(k, 0, sizeof(*k));
	k->gen = c->gen;
	k->type = type;
	k->field = VG_ENF_F_COMM;
	__builtin_memcpy(k->val, h->comm, VG_COMM_LEN);
	hit = vg_enf_lookup_kill(k, h->uid, c->lsm);
	if (!hit && r->lens) {
		len = r->lens[0];
		barrier_var(len);
		if (len > 0 && len < VG_ENF_VAL_MAX) {
			/* The bound again, in the register the helper gets (6.1 lost it). */
			barrier_var(len);
			len &= VG_ENF_VAL_MAX - 1;
			__builtin_memset(k->val, 0, VG_COMM_LEN);
			k->field = VG_ENF_F_STR0;
			bpf_probe_read_kernel(k->val, len,
			                      r->buf + sizeof(struct vg_hdr) + payload_size);
			hit = vg_enf_lookup_kill(k, h->uid, c->lsm);
		}
	}
	if (!hit || vg_enf_allowed(t, h->uid))
		return;
	bpf_send_signal(VG_SIGKILL);
	st = vg_enf_stats_get();
	if (st)
		st->kills++;
}

#endif /* VIGIL_VG_ENFORCE_H */
