/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Network family: socket, connect, accept, accept4, bind, listen, sendto.
 * Addresses come from the socket as the kernel has it after the call; where
 * the socket has none yet (a connect that failed or is in progress, a bind
 * that failed, an unconnected datagram sendto) from the sockaddr the process
 * passed.
 */
#include "vg_sock.h"

static __always_inline void vg_net_sock_facts(struct vg_net *n, struct sock *sk) {
	n->domain = BPF_CORE_READ(sk, __sk_common.skc_family);
	n->type = BPF_CORE_READ(sk, sk_type);
	n->protocol = BPF_CORE_READ(sk, sk_protocol);
	vg_sock_ends(sk, &n->local, &n->remote);
}

static __always_inline int vg_net_exit(struct trace_event_raw_sys_exit *ctx, __u16 type) {
	const struct sockaddr *uaddr = NULL;
	struct vg_sockaddr *fallback = NULL;
	struct sock *sk = NULL;
	struct vg_stash a;
	struct vg_net *n;
	struct vg_rec r;
	__u32 ulen = 0;
	long ret = ctx->ret;

	if (!vg_unstash_args(type, &a))
		return 0;
	n = vg_rec_begin(&r, type, ret, sizeof(*n));
	if (!n)
		return 0;
	r.lens = n->str_len;
	n->fd = a.args[0];
	switch (type) {
	case VG_EVT_SOCKET:
		n->fd = ret;
		n->domain = a.args[0];
		n->type = a.args[1];
		n->protocol = a.args[2];
		return vg_rec_send(&r);
	case VG_EVT_ACCEPT:
	case VG_EVT_ACCEPT4:
		/* The accepted socket has both ends; on failure, the listener's. */
		sk = vg_file_sock(vg_fd_file(ret >= 0 ? ret : n->fd));
		if (type == VG_EVT_ACCEPT4)
			n->flags = a.args[3];
		break;
	case VG_EVT_CONNECT:
		uaddr = (void *)a.args[1];
		ulen = a.args[2];
		fallback = &n->remote;
		break;
	case VG_EVT_BIND:
		uaddr = (void *)a.args[1];
		ulen = a.args[2];
		fallback = &n->local;
		break;
	case VG_EVT_LISTEN:
		n->backlog = a.args[1];
		break;
	case VG_EVT_SENDTO:
		uaddr = (void *)a.args[4];
		ulen = a.args[5];
		fallback = &n->remote;
		n->flags = a.args[3];
		break;
	}
	if (!sk)
		sk = vg_file_sock(vg_fd_file(n->fd));
	vg_net_sock_facts(n, sk);
	if (fallback && vg_sockaddr_empty(fallback))
		vg_user_sockaddr(fallback, uaddr, ulen);
	if (n->domain == VG_AF_UNIX) {
		vg_str_unix_sock(&r, 0, sk);
		if (n->str_len[0] == 0 && uaddr && ulen > sizeof(__u16))
			vg_str_unix_addr(&r, 0, (const char *)uaddr + sizeof(__u16),
			                 ulen - sizeof(__u16), true);
	}
	return vg_rec_send(&r);
}

#define VG_NET_EXIT(name, type)                                                                    \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int exit_##name(struct trace_event_raw_sys_exit *ctx) {                                    \
		return vg_net_exit(ctx, type);                                                     \
	}

#define VG_NET(name, type, nargs)                                                                  \
	VG_SYSCALL_ENTER(name, name, type, nargs)                                                  \
	VG_NET_EXIT(name, type)

VG_NET(socket, VG_EVT_SOCKET, 3)
VG_NET(connect, VG_EVT_CONNECT, 3)
VG_NET(accept, VG_EVT_ACCEPT, 3)
VG_NET(accept4, VG_EVT_ACCEPT4, 4)
VG_NET(bind, VG_EVT_BIND, 3)
VG_NET(listen, VG_EVT_LISTEN, 2)

/*
 * sendto is hot: only sends with an explicit destination on a socket that
 * is not a stream (UDP, raw, unix datagram) are stashed, so connected TCP
 * traffic costs one lookup and no record.
 */
SEC("tracepoint/syscalls/sys_enter_sendto")
int enter_sendto(struct trace_event_raw_sys_enter *ctx) {
	struct sock *sk;

	if (!ctx->args[4])
		return 0;
	sk = vg_file_sock(vg_fd_file(ctx->args[0]));
	if (!sk || BPF_CORE_READ(sk, sk_type) == SOCK_STREAM)
		return 0;
	return vg_stash_args(ctx, VG_EVT_SENDTO, 6);
}

VG_NET_EXIT(sendto, VG_EVT_SENDTO)
