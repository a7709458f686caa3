/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Network deny: cgroup sock_addr programs attached to the cgroup v2 root, so
 * they see every process. A connect, an unconnected sendmsg or a bind whose
 * address matches a deny entry of vg_enf_net returns 0, which the kernel turns
 * into EPERM for the caller: the operation never happens.
 *
 * Lookups, most precise first: address and port, address with any port, port
 * at any address; each with the socket's protocol, then with "any protocol".
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "../enforce/vg_enforce_maps.h"

#define VG_ALLOW 1
#define VG_DENY  0

static __always_inline bool vg_net_hit(struct vg_enf_net_key *k, __u32 uid) {
	struct vg_enf_rule *r = bpf_map_lookup_elem(&vg_enf_net, k);

	return r && r->action == VG_ENF_DENY && vg_enf_uid_ok(r, uid);
}

static __always_inline bool vg_net_match(struct vg_enf_net_key *k, __u8 proto, __u32 uid) {
	__u32 a0 = k->addr[0], a1 = k->addr[1], a2 = k->addr[2], a3 = k->addr[3];
	__u16 port = k->port;

	for (int p = 0; p < 2; p++) {
		k->proto = p == 0 ? proto : 0;
		k->addr[0] = a0, k->addr[1] = a1, k->addr[2] = a2, k->addr[3] = a3;
		k->port = port;
		if (vg_net_hit(k, uid))
			return true;
		k->port = 0;
		if (vg_net_hit(k, uid))
			return true;
		k->port = port;
		k->addr[0] = k->addr[1] = k->addr[2] = k->addr[3] = 0;
		if (vg_net_hit(k, uid))
			return true;
	}
	return false;
}

static __always_inline int vg_sock_verdict(struct bpf_sock_addr *ctx, __u8 hook, bool v6) {
	struct vg_enf_cfg *c = vg_enf_active();
	struct vg_enf_net_key k = {};
	struct vg_enf_stats *st;
	__u64 pid_tgid, uid_gid;

	if (!c)
		return VG_ALLOW;
	pid_tgid = bpf_get_current_pid_tgid();
	if (vg_enf_exempt_tgid(c, pid_tgid >> 32))
		return VG_ALLOW;
	uid_gid = bpf_get_current_uid_gid();
	k.gen = c->gen;
	k.hook = hook;
	k.family = v6 ? 6 : 4;
	k.port = bpf_ntohs(ctx->user_port);
	if (v6) {
		k.addr[0] = ctx->user_ip6[0];
		k.addr[1] = ctx->user_ip6[1];
		k.addr[2] = ctx->user_ip6[2];
		k.addr[3] = ctx->user_ip6[3];
	} else {
		k.addr[0] = ctx->user_ip4;
	}
	if (!vg_net_match(&k, ctx->protocol, (__u32)uid_gid))
		return VG_ALLOW;
	if (vg_enf_allowed((struct task_struct *)bpf_get_current_task(), (__u32)uid_gid))
		return VG_ALLOW;
	st = vg_enf_stats_get();
	if (st)
		st->denies++;
	return VG_DENY;
}

SEC("cgroup/connect4")
int vg_deny_connect4(struct bpf_sock_addr *ctx) {
	return vg_sock_verdict(ctx, VG_ENF_H_CONNECT, false);
}

SEC("cgroup/connect6")
int vg_deny_connect6(struct bpf_sock_addr *ctx) {
	return vg_sock_verdict(ctx, VG_ENF_H_CONNECT, true);
}

SEC("cgroup/sendmsg4")
int vg_deny_sendmsg4(struct bpf_sock_addr *ctx) {
	return vg_sock_verdict(ctx, VG_ENF_H_SENDMSG, false);
}

SEC("cgroup/sendmsg6")
int vg_deny_sendmsg6(struct bpf_sock_addr *ctx) {
	return vg_sock_verdict(ctx, VG_ENF_H_SENDMSG, true);
}

SEC("cgroup/bind4")
int vg_deny_bind4(struct bpf_sock_addr *ctx) {
	return vg_sock_verdict(ctx, VG_ENF_H_BIND, false);
}

SEC("cgroup/bind6")
int vg_deny_bind6(struct bpf_sock_addr *ctx) {
	return vg_sock_verdict(ctx, VG_ENF_H_BIND, true);
}
