/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Credentials family: setuid/setgid/setreuid/setregid/setresuid/setresgid and
 * capset. The record is sent at sys_exit, so the header carries the
 * credentials as the call left them.
 */
#include "vg_record.h"

/* struct __user_cap_header_struct: { __u32 version; int pid; } */
#define VG_CAP_HDR_PID_OFF 4

static __always_inline int vg_cred_exit(struct trace_event_raw_sys_exit *ctx, __u16 type,
                                        int nids) {
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	const struct cred *cred = BPF_CORE_READ(t, cred);
	struct vg_stash a;
	struct vg_cred *c;
	struct vg_rec r;
	__u32 v = 0;

	if (!vg_unstash_args(type, &a))
		return 0;
	c = vg_rec_begin(&r, type, ctx->ret, sizeof(*c));
	if (!c)
		return 0;
	if (type == VG_EVT_CAPSET) {
		/* capset: the target pid and the header's version. */
		bpf_probe_read_user(&v, sizeof(v), (void *)a.args[0] + VG_CAP_HDR_PID_OFF);
		c->id[0] = v;
		bpf_probe_read_user(&v, sizeof(v), (void *)a.args[0]);
		c->id[1] = v;
	} else {
		c->id[0] = a.args[0];
		if (nids > 1)
			c->id[1] = a.args[1];
		if (nids > 2)
			c->id[2] = a.args[2];
	}
	c->cap_effective = VG_CRED_CAPS(cred, cap_effective);
	c->cap_permitted = VG_CRED_CAPS(cred, cap_permitted);
	c->cap_inheritable = VG_CRED_CAPS(cred, cap_inheritable);
	return vg_rec_send(&r);
}

#define VG_CRED(name, type, nids, nargs)                                                           \
	VG_SYSCALL_ENTER(name, name, type, nargs)                                                  \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int exit_##name(struct trace_event_raw_sys_exit *ctx) {                                    \
		return vg_cred_exit(ctx, type, nids);                                              \
	}

VG_CRED(setuid, VG_EVT_SETUID, 1, 1)
VG_CRED(setgid, VG_EVT_SETGID, 1, 1)
VG_CRED(setreuid, VG_EVT_SETREUID, 2, 2)
VG_CRED(setregid, VG_EVT_SETREGID, 2, 2)
VG_CRED(setresuid, VG_EVT_SETRESUID, 3, 3)
VG_CRED(setresgid, VG_EVT_SETRESGID, 3, 3)
VG_CRED(capset, VG_EVT_CAPSET, 0, 2)
