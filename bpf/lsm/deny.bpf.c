/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Deny in BPF LSM hooks, where the kernel allows them (not on our CI kernel: LSM programs fail with
 * EPERM at load there, and the agent falls back to kill). Each hook returns -EPERM before the
 * operation happens, for the same policy entries the tracepoint kill check reads
 * (bpf/enforce/vg_enforce_maps.h), restricted to entries whose action is deny.
 *
 *   bprm_check_security  exec of a denied exe path: execve fails, the old program goes on
 *   file_open            open of a denied path (any of the open family's entries)
 *   socket_connect       connect to a denied address (same entries as cgroup/connect4/6)
 *   task_kill, ptrace_access_check, bpf   self-protection: signals, ptrace and BPF detach
 *                        aimed at the agent, from any other process, while enforcement is on
 *
 * bprm_check_security and file_open are sleepable hooks (lsm.s): bpf_d_path is allowed there.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "events.h"
#include "../enforce/vg_enforce_maps.h"

#define VG_EPERM    1
#define VG_AF_INET  2
#define VG_AF_INET6 10

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

/* Looks the path up for each event type given; deny entries only. */
static __always_inline bool vg_lsm_path_denied(struct vg_enf_cfg *c, struct path *path,
                                               const __u16 *types, int ntypes) {
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	struct vg_enf_rule *r;
	struct vg_enf_key *k;
	__u32 zero = 0;
	long n;

	k = bpf_map_lookup_elem(&vg_enf_keybuf, &zero);
	if (!k)
		return false;
	__builtin_memset(k, 0, sizeof(*k));
	n = bpf_d_path(path, k->val, sizeof(k->val));
	if (n <= 0 || n >= VG_ENF_VAL_MAX)
		return false;
	k->gen = c->gen;
	k->field = VG_ENF_F_STR0;
	for (int i = 0; i < 3; i++) {
		if (i >= ntypes)
			break;
		k->type = types[i];
		r = bpf_map_lookup_elem(&vg_enf_policy, k);
		if (r && r->action == VG_ENF_DENY && vg_enf_uid_ok(r, uid) &&
		    !vg_enf_allowed(t, uid))
			return true;
	}
	return false;
}

SEC("lsm.s/bprm_check_security")
int BPF_PROG(vg_lsm_exec, struct linux_binprm *bprm, int ret) {
	const __u16 types[1] = {VG_EVT_EXECVE};
	struct vg_enf_cfg *c = vg_enf_active();

	if (ret || !c || vg_lsm_exempt(c))
		return ret;
	if (!vg_lsm_path_denied(c, (struct path *)&bprm->file->f_path, types, 1))
		return 0;
	vg_lsm_count_deny();
	return -VG_EPERM;
}

SEC("lsm.s/file_open")
int BPF_PROG(vg_lsm_open, struct file *file, int ret) {
	const __u16 types[3] = {VG_EVT_OPEN, VG_EVT_OPENAT, VG_EVT_OPENAT2};
	struct vg_enf_cfg *c = vg_enf_active();

	if (ret || !c || vg_lsm_exempt(c))
		return ret;
	if (!vg_lsm_path_denied(c, (struct path *)&file->f_path, types, 3))
		return 0;
	vg_lsm_count_deny();
	return -VG_EPERM;
}

SEC("lsm/socket_connect")
int BPF_PROG(vg_lsm_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret) {
	struct vg_enf_cfg *c = vg_enf_active();
	struct vg_enf_net_key k = {};
	struct vg_enf_rule *r;
	__u16 family;

	if (ret || !c || vg_lsm_exempt(c))
		return ret;
	family = BPF_CORE_READ(address, sa_family);
	k.gen = c->gen;
	k.hook = VG_ENF_H_CONNECT;
	k.proto = BPF_CORE_READ(sock, sk, sk_protocol);
	if (family == VG_AF_INET) {
		struct sockaddr_in *in = (void *)address;

		k.family = 4;
		k.port = bpf_ntohs(BPF_CORE_READ(in, sin_port));
		k.addr[0] = BPF_CORE_READ(in, sin_addr.s_addr);
	} else if (family == VG_AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)address;

		k.family = 6;
		k.port = bpf_ntohs(BPF_CORE_READ(in6, sin6_port));
		bpf_core_read(&k.addr, sizeof(k.addr), &in6->sin6_addr);
	} else {
		return 0;
	}
	/* The exact entry only; the cgroup programs also try any-port / any-address entries. */
	r = bpf_map_lookup_elem(&vg_enf_net, &k);
	if (!r || r->action != VG_ENF_DENY || !vg_enf_uid_ok(r, (__u32)bpf_get_current_uid_gid()))
		return 0;
	vg_lsm_count_deny();
	return -VG_EPERM;
}

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
	if (ret || sig == 0 || !vg_lsm_at_agent(p))
		return ret;
	return vg_lsm_protect();
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(vg_lsm_ptrace, struct task_struct *child, unsigned int mode, int ret) {
	if (ret || !vg_lsm_at_agent(child))
		return ret;
	return vg_lsm_protect();
}

/* Detaching programs is refused to everyone but the agent while enforcement is on. */
SEC("lsm/bpf")
int BPF_PROG(vg_lsm_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret) {
	struct vg_enf_cfg *c = vg_enf_active();

	if (ret || !c || (bpf_get_current_pid_tgid() >> 32) == c->agent_tgid)
		return ret;
	if (cmd != BPF_PROG_DETACH && cmd != BPF_LINK_DETACH)
		return 0;
	return vg_lsm_protect();
}
