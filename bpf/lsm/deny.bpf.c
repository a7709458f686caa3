/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Deny in BPF LSM hooks, where the kernel allows them (not on our CI kernel: LSM programs fail with
 * EPERM at load there, and the agent falls back to kill). Each hook returns -EPERM before the
 * operation happens, for the policy entries whose action is deny (bpf/enforce/vg_enforce_maps.h),
 * and sends a record of the refused operation (bpf/enforce/vg_lsm.h) for the rule's alert.
 *
 *   bprm_check_security  exec of a denied exe path: execve fails, the old program goes on
 *   file_open            open of a denied path (any of the open family's entries)
 *   path_unlink          unlink/unlinkat of a denied path
 *   path_rename          rename/renameat/renameat2 whose old path is denied
 *   socket_connect       connect to a denied address (same entries as cgroup/connect4/6)
 *
 * Paths: bprm_check_security and file_open are sleepable (lsm.s), where bpf_d_path is allowed.
 * path_unlink and path_rename are not (and inode_unlink / inode_rename, which are, have no
 * vfsmount, so no path above the file system's root): their path is walked from the dentry and the
 * directory's mount (vg_path.h), as the sensor walks paths, and it is the path the record carries.
 * Every path the kernel compares here is absolute and resolved (symlinks followed, "." and ".."
 * gone): an exact rule path matches however the process spelled it.
 */
#include "vg_common.h"
#include <bpf/bpf_endian.h>
#include "../enforce/vg_lsm.h"

#define VG_AF_INET  2
#define VG_AF_INET6 10

static __always_inline void vg_lsm_exec_record(struct linux_binprm *bprm, struct vg_enf_key *k,
                                               struct vg_lsm_hit *hit) {
	struct task_struct *t = bpf_get_current_task_btf();
	struct inode *ino = BPF_CORE_READ(bprm, file, f_inode);
	struct vg_exec *e;
	struct vg_rec r;

	if (!vg_lsm_busy_take())
		return;
	e = vg_lsm_rec_begin(&r, VG_EVT_EXECVE, sizeof(*e), hit->rule_id);
	if (e) {
		r.lens = e->str_len;
		e->start_ns = BPF_CORE_READ(t, group_leader, start_boottime);
		e->exe_ino = BPF_CORE_READ(ino, i_ino);
		e->exe_dev = vg_encode_dev(BPF_CORE_READ(ino, i_sb, s_dev));
		e->exe_mode = BPF_CORE_READ(ino, i_mode);
		e->exe_uid = BPF_CORE_READ(ino, i_uid.val);
		e->vpid = vg_task_upid(t).nr;
		vg_str_kernel(&r, VG_EXEC_STR_EXE, k->val, VG_ENF_VAL_MAX);
		e->argc = vg_lsm_argv(&r, VG_EXEC_STR_ARGV);
		vg_rec_send(&r);
	}
	vg_lsm_busy_give();
}

SEC("lsm.s/bprm_check_security")
int BPF_PROG(vg_lsm_exec, struct linux_binprm *bprm, int ret) {
	const __u16 types[1] = {VG_EVT_EXECVE};
	struct vg_enf_cfg *c = vg_enf_active();
	struct vg_lsm_hit hit = {};
	struct vg_enf_key k;

	if (ret || !c || !(c->lsm_hooks & VG_ENF_LSM_EXEC) || vg_lsm_exempt(c))
		return ret;
	if (!vg_lsm_d_path_key(c, &k, (struct path *)&bprm->file->f_path) ||
	    !vg_lsm_lookup(&k, types, 1, &hit))
		return 0;
	vg_lsm_exec_record(bprm, &k, &hit);
	vg_lsm_count_deny();
	return -VG_EPERM;
}

static __always_inline void vg_lsm_open_record(struct file *file, struct vg_enf_key *k,
                                               struct vg_lsm_hit *hit) {
	struct inode *ino = BPF_CORE_READ(file, f_inode);
	struct vg_file *f;
	struct vg_rec r;

	if (!vg_lsm_busy_take())
		return;
	f = vg_lsm_rec_begin(&r, hit->type, sizeof(*f), hit->rule_id);
	if (f) {
		r.lens = f->str_len;
		f->fd = -VG_EPERM;
		f->dirfd = VG_AT_FDCWD;
		f->flags = BPF_CORE_READ(file, f_flags);
		f->mode = BPF_CORE_READ(ino, i_mode);
		vg_str_kernel(&r, VG_FILE_STR_PATH, k->val, VG_ENF_VAL_MAX);
		vg_rec_send(&r);
	}
	vg_lsm_busy_give();
}

SEC("lsm.s/file_open")
int BPF_PROG(vg_lsm_open, struct file *file, int ret) {
	/* The hook cannot tell which call opened: openat first, what libc uses. */
	const __u16 types[3] = {VG_EVT_OPENAT, VG_EVT_OPEN, VG_EVT_OPENAT2};
	struct vg_enf_cfg *c = vg_enf_active();
	struct vg_lsm_hit hit = {};
	struct vg_enf_key k;

	if (ret || !c || !(c->lsm_hooks & VG_ENF_LSM_OPEN) || vg_lsm_exempt(c))
		return ret;
	if (!vg_lsm_d_path_key(c, &k, (struct path *)&file->f_path) ||
	    !vg_lsm_lookup(&k, types, 3, &hit))
		return 0;
	vg_lsm_open_record(file, &k, &hit);
	vg_lsm_count_deny();
	return -VG_EPERM;
}

/*
 * unlink and rename: the old path is walked into a record, looked up, and the record sent when an
 * entry denies. new_dentry is NULL for unlink. Returns 0 or -EPERM.
 */
static __always_inline int vg_lsm_path_op(const struct path *dir, struct dentry *dentry,
                                          const struct path *new_dir, struct dentry *new_dentry,
                                          const __u16 *types, int ntypes, __u32 hook) {
	struct vg_enf_cfg *c = vg_enf_active();
	struct vg_lsm_hit hit = {};
	struct vg_enf_key k;
	struct vg_file *f;
	struct vg_rec r;
	bool denied = false;

	if (!c || !(c->lsm_hooks & hook) || vg_lsm_exempt(c) || !vg_lsm_busy_take())
		return 0;
	f = vg_lsm_rec_begin(&r, types[0], sizeof(*f), 0);
	if (!f)
		goto out;
	r.lens = f->str_len;
	vg_str_path(&r, VG_FILE_STR_PATH, dentry, BPF_CORE_READ(dir, mnt));
	if (!vg_lsm_str0_key(c, &r, sizeof(*f), &k) || !vg_lsm_lookup(&k, types, ntypes, &hit))
		goto out;
	denied = true;
	vg_rec_hdr(&r)->type = hit.type;
	vg_rec_hdr(&r)->deny_rule = hit.rule_id;
	f->fd = -1;
	f->dirfd = VG_AT_FDCWD;
	if (new_dentry)
		vg_str_path(&r, VG_FILE_STR_PATH2, new_dentry, BPF_CORE_READ(new_dir, mnt));
	vg_rec_send(&r);
	vg_lsm_count_deny();
out:
	vg_lsm_busy_give();
	return denied ? -VG_EPERM : 0;
}

SEC("lsm/path_unlink")
int BPF_PROG(vg_lsm_unlink, const struct path *dir, struct dentry *dentry, int ret) {
	const __u16 types[2] = {VG_EVT_UNLINK, VG_EVT_UNLINKAT};

	if (ret)
		return ret;
	return vg_lsm_path_op(dir, dentry, NULL, NULL, types, 2, VG_ENF_LSM_UNLINK);
}

SEC("lsm/path_rename")
int BPF_PROG(vg_lsm_rename, const struct path *old_dir, struct dentry *old_dentry,
             const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret) {
	const __u16 types[3] = {VG_EVT_RENAME, VG_EVT_RENAMEAT, VG_EVT_RENAMEAT2};

	if (ret)
		return ret;
	return vg_lsm_path_op(old_dir, old_dentry, new_dir, new_dentry, types, 3,
	                      VG_ENF_LSM_RENAME);
}

/*
 * The exact entry only; the cgroup programs also try any-port / any-address entries. No record:
 * connect's own sys_exit record (ret -EPERM) carries the denial, as it does for the cgroup path.
 */
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
	r = bpf_map_lookup_elem(&vg_enf_net, &k);
	if (!r || r->action != VG_ENF_DENY || !vg_enf_uid_ok(r, (__u32)bpf_get_current_uid_gid()))
		return 0;
	vg_lsm_count_deny();
	return -VG_EPERM;
}
