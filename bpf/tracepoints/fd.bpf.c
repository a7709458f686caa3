/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * fd family: dup, dup2, dup3, with what the duplicated fd is (socket and its
 * addresses, file and its path, pipe, device), so that a shell whose stdio
 * was wired to a socket is visible in one event.
 */
#include "vg_sock.h"

static __always_inline int vg_dup_exit(struct trace_event_raw_sys_exit *ctx, __u16 type) {
	struct file *file;
	struct sock *sk;
	struct vg_stash a;
	struct vg_dup *d;
	struct vg_rec r;
	long ret = ctx->ret;

	if (!vg_unstash_args(type, &a))
		return 0;
	d = vg_rec_begin(&r, type, ret, sizeof(*d));
	if (!d)
		return 0;
	r.lens = d->str_len;
	d->oldfd = a.args[0];
	d->newfd = type == VG_EVT_DUP ? ret : (long)a.args[1];
	if (type == VG_EVT_DUP3)
		d->flags = a.args[2];
	file = vg_fd_file(d->oldfd);
	d->kind = vg_fd_kind_of(file);
	switch (d->kind) {
	case VG_FD_IPV4:
	case VG_FD_IPV6:
	case VG_FD_UNIX:
	case VG_FD_SOCK_OTHER:
		sk = vg_file_sock(file);
		d->sock_type = BPF_CORE_READ(sk, sk_type);
		d->protocol = BPF_CORE_READ(sk, sk_protocol);
		vg_sock_ends(sk, &d->local, &d->remote);
		if (d->kind == VG_FD_UNIX)
			vg_str_unix_sock(&r, 0, sk);
		break;
	case VG_FD_FILE:
	case VG_FD_DIR:
	case VG_FD_CHR:
	case VG_FD_BLK:
		vg_str_file(&r, 0, file);
		break;
	}
	return vg_rec_send(&r);
}

#define VG_DUP(name, type, nargs)                                                                  \
	VG_SYSCALL_ENTER(name, name, type, nargs)                                                  \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int exit_##name(struct trace_event_raw_sys_exit *ctx) {                                    \
		return vg_dup_exit(ctx, type);                                                     \
	}

VG_DUP(dup, VG_EVT_DUP, 1)
VG_DUP(dup2, VG_EVT_DUP2, 2)
VG_DUP(dup3, VG_EVT_DUP3, 3)
