/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * What every sensor program needs: kernel types, libbpf helpers, the wire
 * format, the shared maps, the agent filter, the header fill and the
 * enter/exit argument stash.
 */
#ifndef VIGIL_VG_COMMON_H
#define VIGIL_VG_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "vg_maps.h"

/* UAPI constants: macros are not in BTF, so vmlinux.h lacks them. */
#define VG_AT_FDCWD         -100
#define VG_S_IFMT           0170000
#define VG_S_IFSOCK         0140000
#define VG_S_IFLNK          0120000
#define VG_S_IFREG          0100000
#define VG_S_IFBLK          0060000
#define VG_S_IFDIR          0040000
#define VG_S_IFCHR          0020000
#define VG_S_IFIFO          0010000
#define VG_AF_UNIX          1
#define VG_AF_INET          2
#define VG_AF_INET6         10
#define VG_OVERLAYFS_MAGIC  0x794c7630
#define VG_ANON_INODE_MAGIC 0x09041934

/* Bytes of one path component, NUL included (NAME_MAX + 1). */
#define VG_NAME_MAX 256

static __always_inline struct vg_stats *vg_stats_get(void) {
	__u32 zero = 0;
	return bpf_map_lookup_elem(&vg_stats, &zero);
}

static __always_inline void vg_count_scratch_fail(void) {
	struct vg_stats *s = vg_stats_get();
	if (s)
		s->scratch_fail++;
}

/* True when the current task belongs to the agent: its own activity is never reported. */
static __always_inline bool vg_is_agent(__u32 tgid) {
	__u32 zero = 0;
	struct vg_config *c = bpf_map_lookup_elem(&vg_config, &zero);
	return c && c->agent_tgid && c->agent_tgid == tgid;
}

/* The clone flags that make a fork record wake the reader (vg_config.clone_wake). */
static __always_inline __u64 vg_clone_wake(void) {
	__u32 zero = 0;
	struct vg_config *c = bpf_map_lookup_elem(&vg_config, &zero);
	return c ? c->clone_wake : 0;
}

static __always_inline __u32 vg_current_tgid(void) {
	return bpf_get_current_pid_tgid() >> 32;
}

/*
 * The pid namespace a task lives in: its pid's namespace at the pid's own level.
 * t is a BTF pointer (bpf_get_current_task_btf(), a tp_btf argument): fields are
 * read with plain loads, which the verifier makes fault-safe, at a fraction of
 * a bpf_probe_read_kernel() call's cost (a helper call each, BPF_CORE_READ).
 */
static __always_inline struct upid vg_task_upid(struct task_struct *t) {
	struct upid up = {};
	struct pid *pid = t->thread_pid;
	unsigned int level = pid->level;
	bpf_core_read(&up, sizeof(up), &pid->numbers[level & 31]);
	return up;
}

/* pid number of `pid` as seen from level `level` (0 when not visible there). */
static __always_inline __u32 vg_pid_nr_at(struct pid *pid, unsigned int level) {
	struct upid up = {};
	if (!pid || BPF_CORE_READ(pid, level) < level)
		return 0;
	bpf_core_read(&up, sizeof(up), &pid->numbers[level & 31]);
	return up.nr;
}

/* dev_t as stat(2) and /proc show it, from the kernel's internal MAJOR << 20 | MINOR. */
static __always_inline __u32 vg_encode_dev(__u32 dev) {
	__u32 major = dev >> 20, minor = dev & 0xfffff;

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/*
 * A capability set of a cred as a u64. Read as 8 raw bytes at the field:
 * kernel_cap_t is { u64 val; } since 6.3 and { u32 cap[2]; } before, the same
 * bits in the same order (little-endian), and only the field's offset needs
 * relocating. Reading `.val` fails to relocate on older kernels.
 */
#define VG_CRED_CAPS(cred, field)                                                                  \
	({                                                                                         \
		__u64 __caps = 0;                                                                  \
		bpf_core_read(&__caps, sizeof(__caps), &(cred)->field);                            \
		__caps;                                                                            \
	})

/* Fill the common header for the current task. */
static __always_inline void vg_hdr_fill(struct vg_hdr *h, __u16 type, __s64 retval) {
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	const struct cred *cred = t->cred;
	struct upid up = vg_task_upid(t);

	h->ts_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->retval = retval;
	h->size = 0;
	h->type = type;
	h->flags = 0;
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = t->real_parent->tgid;
	h->uid = cred->uid.val;
	h->gid = cred->gid.val;
	h->euid = cred->euid.val;
	h->egid = cred->egid.val;
	h->loginuid = (__u32)-1;
	if (bpf_core_field_exists(t->loginuid))
		h->loginuid = t->loginuid.val;
	h->mnt_ns = t->nsproxy->mnt_ns->ns.inum;
	h->pid_ns = BPF_CORE_READ(up.ns, ns.inum);
	h->truncated = 0;
	h->deny_rule = 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/*
 * sys_enter: remember the first nargs arguments until sys_exit (never for the
 * agent itself). Only the syscall's own arguments may be read: the kernel
 * refuses to attach a program that reads past the tracepoint's record
 * (EACCES), and sys_enter_setuid's record holds one argument, not six.
 */
static __always_inline int vg_stash_args(struct trace_event_raw_sys_enter *ctx, __u32 type,
                                         int nargs) {
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct vg_stash s = {};

	if (vg_is_agent(pid_tgid >> 32))
		return 0;
	s.type = type;
	if (nargs > 0)
		s.args[0] = ctx->args[0];
	if (nargs > 1)
		s.args[1] = ctx->args[1];
	if (nargs > 2)
		s.args[2] = ctx->args[2];
	if (nargs > 3)
		s.args[3] = ctx->args[3];
	if (nargs > 4)
		s.args[4] = ctx->args[4];
	if (nargs > 5)
		s.args[5] = ctx->args[5];
	bpf_map_update_elem(&vg_stash, &tid, &s, BPF_ANY);
	return 0;
}

/* sys_exit: take the arguments saved for this thread; false when there are none for `type`. */
static __always_inline bool vg_unstash_args(__u32 type, struct vg_stash *out) {
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct vg_stash *s = bpf_map_lookup_elem(&vg_stash, &tid);
	bool ok;

	if (!s)
		return false;
	ok = s->type == type;
	if (ok)
		__builtin_memcpy(out, s, sizeof(*out));
	bpf_map_delete_elem(&vg_stash, &tid);
	return ok;
}

/* enter_<name> on sys_enter_<tp>: stash the syscall's nargs arguments for exit_<name>. */
#define VG_SYSCALL_ENTER(name, tp, type, nargs)                                                    \
	SEC("tracepoint/syscalls/sys_enter_" #tp)                                                  \
	int enter_##name(struct trace_event_raw_sys_enter *ctx) {                                  \
		return vg_stash_args(ctx, type, nargs);                                            \
	}

#endif /* VIGIL_VG_COMMON_H */
