/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Sockets: what an fd is (enum vg_fd_kind), the two ends of a socket as the
 * kernel has them, an address the process passed in user memory, and unix
 * socket paths.
 */
#ifndef VIGIL_VG_SOCK_H
#define VIGIL_VG_SOCK_H

#include "vg_path.h"

#define VG_UNIX_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path) */

static __always_inline __u16 vg_ntohs(__u16 v) {
	return __builtin_bswap16(v);
}

/* The struct sock of a socket file, or NULL when f is not a socket. */
static __always_inline struct sock *vg_file_sock(struct file *f) {
	struct socket *sock;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);

	if (!f || (mode & VG_S_IFMT) != VG_S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(sock, sk);
}

static __always_inline __u16 vg_fd_kind_of(struct file *f) {
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	umode_t mode = BPF_CORE_READ(ino, i_mode);
	struct sock *sk;
	__u16 family;

	if (!f)
		return VG_FD_UNKNOWN;
	switch (mode & VG_S_IFMT) {
	case VG_S_IFSOCK:
		sk = vg_file_sock(f);
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
		if (family == VG_AF_INET)
			return VG_FD_IPV4;
		if (family == VG_AF_INET6)
			return VG_FD_IPV6;
		if (family == VG_AF_UNIX)
			return VG_FD_UNIX;
		return VG_FD_SOCK_OTHER;
	case VG_S_IFIFO:
		return VG_FD_PIPE;
	case VG_S_IFCHR:
		return VG_FD_CHR;
	case VG_S_IFBLK:
		return VG_FD_BLK;
	case VG_S_IFDIR:
		return VG_FD_DIR;
	}
	if (BPF_CORE_READ(ino, i_sb, s_magic) == VG_ANON_INODE_MAGIC || (mode & VG_S_IFMT) == 0)
		return VG_FD_ANON;
	if ((mode & VG_S_IFMT) == VG_S_IFREG)
		return VG_FD_FILE;
	return VG_FD_UNKNOWN;
}

/*
 * An end without a port is no end: a connect that failed leaves the peer's
 * address in the socket but resets the port.
 */
static __always_inline bool vg_sockaddr_empty(struct vg_sockaddr *a) {
	return a->port == 0;
}

/* Local and remote ends of an inet socket, as the kernel has them now. */
static __always_inline void vg_sock_ends(struct sock *sk, struct vg_sockaddr *local,
                                         struct vg_sockaddr *remote) {
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (!sk)
		return;
	local->family = family;
	remote->family = family;
	if (family == VG_AF_INET) {
		bpf_core_read(local->addr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(remote->addr, 4, &sk->__sk_common.skc_daddr);
	} else if (family == VG_AF_INET6) {
		bpf_core_read(local->addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(remote->addr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		return;
	}
	local->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	remote->port = vg_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/*
 * An AF_INET/AF_INET6 sockaddr the process passed; for AF_UNIX only the
 * family (the path goes to the record's string via vg_str_user_unix).
 */
static __always_inline __u16 vg_user_sockaddr(struct vg_sockaddr *out, const void *uaddr,
                                              __u32 len) {
	__u16 family = 0;
	__u16 port = 0;

	if (!uaddr || len < sizeof(family) || bpf_probe_read_user(&family, sizeof(family), uaddr))
		return 0;
	out->family = family;
	if (family == VG_AF_INET && len >= 8) {
		bpf_probe_read_user(&port, sizeof(port), uaddr + 2);
		bpf_probe_read_user(out->addr, 4, uaddr + 4);
	} else if (family == VG_AF_INET6 && len >= 24) {
		bpf_probe_read_user(&port, sizeof(port), uaddr + 2);
		bpf_probe_read_user(out->addr, 16, uaddr + 8);
	}
	out->port = vg_ntohs(port);
	return family;
}

/*
 * A unix sockaddr's path into string i: pathname sockets up to their NUL,
 * abstract ones ("\0name") as their raw bytes.
 */
static __always_inline void vg_str_unix_addr(struct vg_rec *r, int i, const char *sun_path,
                                             __u32 path_len, bool user) {
	char first = 0;

	if (path_len == 0)
		return;
	if (path_len > VG_UNIX_PATH_MAX)
		path_len = VG_UNIX_PATH_MAX;
	if (user)
		bpf_probe_read_user(&first, 1, sun_path);
	else
		bpf_probe_read_kernel(&first, 1, sun_path);
	if (first)
		vg_str_ustr(r, i, sun_path, VG_UNIX_PATH_MAX + 1, user);
	else
		vg_str_bytes(r, i, sun_path, path_len, VG_UNIX_PATH_MAX, user);
}

/* The path bound to a unix socket: its own, else its peer's. */
static __always_inline void vg_str_unix_sock(struct vg_rec *r, int i, struct sock *sk) {
	struct unix_sock *us = (struct unix_sock *)sk;
	struct unix_address *addr = BPF_CORE_READ(us, addr);
	int len;

	if (!addr) {
		struct unix_sock *peer = (struct unix_sock *)BPF_CORE_READ(us, peer);
		addr = BPF_CORE_READ(peer, addr);
	}
	if (!addr)
		return;
	len = BPF_CORE_READ(addr, len) - (int)sizeof(__u16);
	if (len <= 0)
		return;
	vg_str_unix_addr(r, i, (const char *)addr->name[0].sun_path, len, false);
}

#endif /* VIGIL_VG_SOCK_H */
