/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Network family: socket, connect, accept, accept4, bind, listen, sendto, recvfrom.
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

/* The first bytes of the data a sendto sent or a recvfrom received, as many as vg_snaplen asks. */
static __always_inline void vg_net_data(struct vg_rec *r, __u32 type, const void *buf, long ret) {
	__u32 *snaplen = bpf_map_lookup_elem(&vg_snaplen, &type);

	if (!snaplen || *snaplen == 0 || ret <= 0)
		return;
	vg_str_bytes(r, VG_NET_STR_DATA, buf, ret, *snaplen, true);
}

/* recvfrom's address length is passed by pointer. */
static __always_inline __u32 vg_user_socklen(const void *p) {
	__u32 len = 0;

	if (p)
		bpf_probe_read_user(&len, sizeof(len), p);
	return len;
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
	case VG_EVT_RECVFROM:
		uaddr = (void *)a.args[4];
		ulen = ret >= 0 ? vg_user_socklen((void *)a.args[5]) : 0;
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
		vg_str_unix_sock(&r, VG_NET_STR_UNIX, sk);
		if (n->str_len[VG_NET_STR_UNIX] == 0 && uaddr && ulen > sizeof(__u16))
			vg_str_unix_addr(&r, VG_NET_STR_UNIX, (const char *)uaddr + sizeof(__u16),
			                 ulen - sizeof(__u16), true);
	}
	if (type == VG_EVT_SENDTO || type == VG_EVT_RECVFROM)
		vg_net_data(&r, type, (const void *)a.args[1], ret);
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

/*
 * Every TCP connection starts with a socket(2): a socket whose (domain, base
 * type) no loaded rule can match (vg_sock_filter) is not stashed, so its exit
 * builds no record. Flags other than SOCK_NONBLOCK and SOCK_CLOEXEC, or a
 * domain past the map, are always reported.
 */
#define VG_SOCK_TYPE_FLAGS (00004000 | 02000000)

SEC("tracepoint/syscalls/sys_enter_socket")
int enter_socket(struct trace_event_raw_sys_enter *ctx) {
	__u32 domain = ctx->args[0];
	__u32 type = ctx->args[1];
	__u32 *drop;

	if (domain < VG_SOCK_DOMAINS && (type & ~0xfu & ~VG_SOCK_TYPE_FLAGS) == 0) {
		drop = bpf_map_lookup_elem(&vg_sock_filter, &domain);
		if (drop && (*drop >> (type & 0xf)) & 1)
			return 0;
	}
	return vg_stash_args(ctx, VG_EVT_SOCKET, 3);
}

VG_NET_EXIT(socket, VG_EVT_SOCKET)
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

/*
 * recvfrom is hot, and attached only when a loaded rule can match it: every
 * call is stashed, and its data copied only as vg_snaplen asks.
 */
VG_NET(recvfrom, VG_EVT_RECVFROM, 6)
