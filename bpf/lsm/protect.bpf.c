/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Self-protection while enforcement is on: the agent's processes cannot be signalled or ptraced,
 * its programs' links cannot be detached or updated and its maps cannot be written by any other
 * process.
 *
 *   task_kill            any signal but 0 to the agent, except from init and the agent's parent
 *                        (its supervisor: systemd, or whoever started it, is how it is stopped)
 *   ptrace_access_check  every mode: attach, /proc/PID/mem, environ, fd links, pidfd_getfd
 *   bpf                  BPF_LINK_DETACH / BPF_LINK_UPDATE of a link whose program is in
 *                        vg_lsm_own_progs; the map-changing commands (element update, delete,
 *                        lookup-and-delete, their batch forms, freeze) on a map in
 *                        vg_lsm_own_maps. Reading (lookup, dump, show) stays allowed.
 *
 * The attempts' alerts: a signal or ptrace() call shows in its own syscall record (the sensor's
 * kill and ptrace events, result EPERM); a refused bpf(2) command also sends a record (type bpf,
 * VG_HDR_F_DENIED, deny_rule VG_LSM_PROTECT_ID, arg0 = the command, arg2 = the object's id,
 * arg3 = its kind, as the sensor's bpf records name a target).
 */
#include "vg_common.h"
#include "vg_bpf_obj.h"
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

static __always_inline void vg_lsm_protect_record(int cmd, __u32 kind, __u32 id) {
	struct vg_proc_op *p;
	struct vg_rec r;

	if (!vg_lsm_busy_take())
		return;
	p = vg_lsm_rec_begin(&r, VG_EVT_BPF, sizeof(*p), VG_LSM_PROTECT_ID);
	if (p) {
		r.lens = p->str_len;
		p->arg[0] = cmd;
		p->arg[2] = id;
		p->arg[3] = kind;
		vg_rec_send(&r);
	}
	vg_lsm_busy_give();
}

/* The fd a bpf(2) command that changes a link or a map names, and the kind it must be; -1: none. */
static __always_inline int vg_lsm_bpf_change_fd(int cmd, union bpf_attr *attr, __u32 *kind) {
	*kind = VG_BPF_OBJ_MAP;
	switch (cmd) {
	case BPF_LINK_DETACH:
		*kind = VG_BPF_OBJ_LINK;
		return BPF_CORE_READ(attr, link_detach.link_fd);
	case BPF_LINK_UPDATE:
		*kind = VG_BPF_OBJ_LINK;
		return BPF_CORE_READ(attr, link_update.link_fd);
	case BPF_MAP_UPDATE_ELEM:
	case BPF_MAP_DELETE_ELEM:
	case BPF_MAP_LOOKUP_AND_DELETE_ELEM:
	case BPF_MAP_FREEZE:
		return BPF_CORE_READ(attr, map_fd);
	case BPF_MAP_UPDATE_BATCH:
	case BPF_MAP_DELETE_BATCH:
	case BPF_MAP_LOOKUP_AND_DELETE_BATCH:
		return BPF_CORE_READ(attr, batch.map_fd);
	}
	return -1;
}

SEC("lsm/bpf")
int BPF_PROG(vg_lsm_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret) {
	struct vg_enf_cfg *c = vg_enf_active();
	struct bpf_link *link;
	__u32 kind, id, prog;
	struct file *f;
	int fd;

	if (ret || !c || (bpf_get_current_pid_tgid() >> 32) == c->agent_tgid)
		return ret;
	fd = vg_lsm_bpf_change_fd(cmd, attr, &kind);
	if (fd < 0)
		return 0;
	f = vg_fd_file(fd);
	if (vg_bpf_file_kind(f) != kind)
		return 0; /* not such an object: the call fails by itself */
	id = vg_bpf_file_id(f, kind);
	if (kind == VG_BPF_OBJ_LINK) {
		link = BPF_CORE_READ(f, private_data);
		prog = BPF_CORE_READ(link, prog, aux, id);
		if (!prog || !bpf_map_lookup_elem(&vg_lsm_own_progs, &prog))
			return 0;
	} else if (!id || !bpf_map_lookup_elem(&vg_lsm_own_maps, &id)) {
		return 0;
	}
	vg_lsm_protect_record(cmd, kind, id);
	return vg_lsm_protect();
}
