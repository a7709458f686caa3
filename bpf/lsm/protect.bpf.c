/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Self-protection while enforcement is on: the agent's processes cannot be signalled, ptraced or
 * have the links of its enforcing programs detached by any other process.
 *
 *   task_kill            any signal but 0 to the agent, except from init and the agent's parent
 *                        (its supervisor: systemd, or whoever started it, is how it is stopped)
 *   ptrace_access_check  every mode: attach, /proc/PID/mem, environ, fd links, pidfd_getfd
 *   bpf                  BPF_LINK_DETACH of a link whose program is in vg_lsm_own_progs
 *
 * The attempts' alerts: a signal or ptrace() call shows in its own syscall record (the sensor's
 * kill and ptrace events, result EPERM); a detach has none worth the name, so it sends a record
 * (type bpf, VG_HDR_F_DENIED, deny_rule VG_LSM_PROTECT_ID, arg0 = the command, arg1 = the
 * program id).
 */
#include "vg_common.h"
#include "../enforce/vg_lsm.h"

/* True when the target is the agent and the caller is someone else. */
static __always_inline bool vg_lsm_at_agent(struct task_struct *target) {
	struct vg_enf_cfg *c = vg_enf_active();
	__u32 me = bpf_get_current_pid_tgid() >> 32;

	return c && c->agent_tgid && BPF_CORE_READ(target, tgid) == c->agent_tgid &&
	       me != c->agent_tgid;
}

static __always_inline int vg_lsm_protect(void) {
	struct vg_enf_stats *st = vg_enf_stats_get();

	if (st)
		st->protect++;
	return -VG_EPERM;
}

SEC("lsm/task_kill")
int BPF_PROG(vg_lsm_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
             const struct cred *cred, int ret) {
	__u32 me = bpf_get_current_pid_tgid() >> 32;

	if (ret || sig == 0 || !vg_lsm_at_agent(p))
		return ret;
	if (me == 1 || me == BPF_CORE_READ(p, real_parent, tgid))
		return 0;
	return vg_lsm_protect();
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(vg_lsm_ptrace, struct task_struct *child, unsigned int mode, int ret) {
	if (ret || !vg_lsm_at_agent(child))
		return ret;
	return vg_lsm_protect();
}

static __always_inline void vg_lsm_detach_record(int cmd, __u32 prog_id) {
	struct vg_proc_op *p;
	struct vg_rec r;

	if (!vg_lsm_busy_take())
		return;
	p = vg_lsm_rec_begin(&r, VG_EVT_BPF, sizeof(*p), VG_LSM_PROTECT_ID);
	if (p) {
		r.lens = p->str_len;
		p->arg[0] = cmd;
		p->arg[1] = prog_id;
		vg_rec_send(&r);
	}
	vg_lsm_busy_give();
}

SEC("lsm/bpf")
int BPF_PROG(vg_lsm_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret) {
	struct vg_enf_cfg *c = vg_enf_active();
	struct bpf_link *link;
	struct file *f;
	__u32 id;

	if (ret || !c || cmd != BPF_LINK_DETACH ||
	    (bpf_get_current_pid_tgid() >> 32) == c->agent_tgid)
		return ret;
	f = vg_fd_file(BPF_CORE_READ(attr, link_detach.link_fd));
	if (!f)
		return 0;
	link = BPF_CORE_READ(f, private_data);
	id = BPF_CORE_READ(link, prog, aux, id);
	if (!id || !bpf_map_lookup_elem(&vg_lsm_own_progs, &id))
		return 0;
	vg_lsm_detach_record(cmd, id);
	return vg_lsm_protect();
}
