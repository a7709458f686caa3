/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Paths from the kernel's own structures: a dentry walked up to the root,
 * crossing mounts; an fd's file; the cgroup path from kernfs nodes. A bind
 * mount of a directory of the root's filesystem is walked through the
 * directory's own parents: a file is named by its real path, not by where a
 * bind mount shows it.
 *
 * A walk runs twice: first leaf to root, collecting name pointers in the
 * per-CPU `vg_walk` map (at most VG_PATH_DEPTH); then root to leaf, copying
 * each name straight into the record. Nothing is reversed in place and the
 * record needs no second copy. A walk that hits the depth limit starts with
 * "..." and sets the string's truncated bit.
 */
#ifndef VIGIL_VG_PATH_H
#define VIGIL_VG_PATH_H

#include "vg_record.h"

/* Mount crossings do not use up a component, so the walk may take a few more steps. */
#define VG_WALK_STEPS (VG_PATH_DEPTH + 16)

/* Kernels before 6.15 call kernfs_node::__parent `parent`. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct vg_walk *vg_walk_get(void) {
	__u32 zero = 0;
	return bpf_map_lookup_elem(&vg_walk, &zero);
}

static __always_inline struct mount *vg_real_mount(struct vfsmount *m) {
	return (struct mount *)((void *)m - bpf_core_field_offset(struct mount, mnt));
}

static __always_inline __u8 *vg_scratch_buf(void) {
	__u32 zero = 0;
	struct vg_scratch *s = bpf_map_lookup_elem(&vg_scratch, &zero);

	return s ? s->buf : NULL;
}

/* Append one name to the walk; false when the walk is full. */
static __always_inline bool vg_walk_push(struct vg_walk *w, const unsigned char *name) {
	__u32 n = w->n;

	if (n >= VG_PATH_DEPTH)
		return false;
	w->names[n & 63] = (__u64)name;
	w->n = n + 1;
	return true;
}

/*
 * The walks' loop bodies are bpf_loop callbacks: the verifier checks a body
 * once rather than once per iteration and per path through the iterations
 * before it, which with several walks per program exceeds its budget.
 * Callbacks look the per-CPU maps up themselves and keep only scalars in
 * their context.
 */
struct vg_emit_ctx {
	__u32 o; /* where the string starts in the scratch buffer */
	__u32 n;
	bool cut;
};

static long vg_emit_step(__u64 k, void *arg) {
	struct vg_emit_ctx *c = arg;
	struct vg_walk *w = vg_walk_get();
	__u8 *buf = vg_scratch_buf();
	__u32 o = c->o, n = c->n, pos;
	const char *name;
	long len;

	if (!w || !buf || k >= n || o > VG_STR_ROOM)
		return 1;
	pos = w->pos;
	if (pos > VG_PATH_MAX - VG_NAME_MAX - 1) {
		c->cut = true;
		return 1;
	}
	name = (const char *)w->names[(n - 1 - k) & 63];
	buf[o + pos] = '/';
	len = bpf_probe_read_kernel_str(buf + o + pos + 1, VG_NAME_MAX, name);
	if (len > 1)
		w->pos = pos + len; /* '/' + name, the NUL not counted */
	return 0;
}

/*
 * Second half of a walk: names[n-1] (nearest the root) .. names[0] as
 * "/a/b/c" into string i. An empty walk is "/" when it reached a root, and
 * empty when it did not (a pipe, a socket, a namespace file: no path).
 */
static __always_inline void vg_str_names(struct vg_rec *r, int i, struct vg_walk *w, bool cut,
                                         bool rooted) {
	struct vg_emit_ctx c = {.n = w->n, .cut = cut};
	long o = vg_str_pos(r);
	__u32 pos;

	if (o < 0) {
		vg_str_done(r, i, 0, true);
		return;
	}
	c.o = o;
	w->pos = 0;
	if (cut) {
		r->buf[o] = '.';
		r->buf[o + 1] = '.';
		r->buf[o + 2] = '.';
		w->pos = 3;
	}
	bpf_loop(VG_PATH_DEPTH, vg_emit_step, &c, 0);
	pos = w->pos;
	if (pos == 0 && rooted) {
		r->buf[o] = '/';
		pos = 1;
	}
	if (pos > VG_PATH_MAX)
		pos = VG_PATH_MAX;
	vg_str_done(r, i, pos, c.cut);
}

struct vg_dwalk_ctx {
	struct dentry *d;
	struct mount *mnt;
	struct dentry *root_d; /* the task's root (chroot), where the walk stops, as d_path does */
	struct vfsmount *root_mnt;
	bool cut;
	bool pseudo; /* ended on a dentry that is its own parent but no mount's root */
};

/* mnt (whose root dentry is root) mounts a subtree of the filesystem of the task's root mount. */
static __always_inline bool vg_bind_of_root_fs(struct vg_dwalk_ctx *c, struct mount *mnt,
                                               struct dentry *root) {
	struct super_block *sb = BPF_CORE_READ(mnt, mnt.mnt_sb);
	struct dentry *sb_root = BPF_CORE_READ(sb, s_root);
	struct vfsmount *root_mnt = c->root_mnt;

	return root != sb_root && sb == BPF_CORE_READ(root_mnt, mnt_sb) &&
	       BPF_CORE_READ(root_mnt, mnt_root) == sb_root;
}

static long vg_dwalk_step(__u64 k, void *arg) {
	struct vg_dwalk_ctx *c = arg;
	struct vg_walk *w = vg_walk_get();
	struct dentry *d = c->d;
	struct mount *mnt = c->mnt;
	struct dentry *root = BPF_CORE_READ(mnt, mnt.mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);

	if (!w)
		return 1;
	if (d == c->root_d && &mnt->mnt == c->root_mnt) {
		c->cut = false;
		return 1;
	}
	if (d == root || d == parent) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (d != root || up == mnt || !up) {
			/*
			 * The root, or a pseudo file (pipe, socket, memfd, anon inode,
			 * nsfs): only its own name, unless that is d_alloc_anon's "/".
			 */
			if (d != root) {
				const unsigned char *name = BPF_CORE_READ(d, d_name.name);
				char first[2] = {};

				bpf_probe_read_kernel(first, sizeof(first), name);
				if (!(first[0] == '/' && first[1] == 0))
					vg_walk_push(w, name);
				c->pseudo = true;
			}
			c->cut = false;
			return 1;
		}
		/*
		 * A bind mount of a subtree of the filesystem the process's root is on
		 * (/etc bound on /mnt/e): the file's real path goes on up through its
		 * own directories, under the root mount, rather than through /mnt/e.
		 */
		if (vg_bind_of_root_fs(c, mnt, root)) {
			c->mnt = vg_real_mount(c->root_mnt);
			return 0;
		}
		c->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = up;
		return 0;
	}
	if (!vg_walk_push(w, BPF_CORE_READ(d, d_name.name)))
		return 1;
	c->d = parent;
	return 0;
}

/* The path of (dentry, vfsmount) as the process's mount namespace shows it, into string i. */
static __always_inline void vg_str_path(struct vg_rec *r, int i, struct dentry *d,
                                        struct vfsmount *vfsmnt) {
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fs_struct *fs = BPF_CORE_READ(t, fs);
	struct vg_walk *w = vg_walk_get();
	struct vg_dwalk_ctx c = {
	    .d = d,
	    .mnt = vg_real_mount(vfsmnt),
	    .root_d = BPF_CORE_READ(fs, root.dentry),
	    .root_mnt = BPF_CORE_READ(fs, root.mnt),
	    .cut = true,
	};

	if (!w || !d || !vfsmnt)
		return;
	w->n = 0;
	bpf_loop(VG_WALK_STEPS, vg_dwalk_step, &c, 0);
	vg_str_names(r, i, w, c.cut, !c.pseudo);
}

static __always_inline void vg_str_pathp(struct vg_rec *r, int i, const struct path *p) {
	vg_str_path(r, i, BPF_CORE_READ(p, dentry), BPF_CORE_READ(p, mnt));
}

static __always_inline void vg_str_file(struct vg_rec *r, int i, struct file *f) {
	if (f)
		vg_str_pathp(r, i, &f->f_path);
}

/* The current task's open file for fd, or NULL. */
static __always_inline struct file *vg_fd_file(int fd) {
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_core_read(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The current task's working directory into string i. */
static __always_inline void vg_str_cwd(struct vg_rec *r, int i) {
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fs_struct *fs = BPF_CORE_READ(t, fs);

	vg_str_path(r, i, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt));
}

/* The directory a relative path of an *at call is relative to: dirfd's file, or the cwd. */
static __always_inline void vg_str_dirfd(struct vg_rec *r, int i, int dirfd) {
	if (dirfd == VG_AT_FDCWD)
		vg_str_cwd(r, i);
	else
		vg_str_file(r, i, vg_fd_file(dirfd));
}

static __always_inline struct kernfs_node *vg_kn_parent(struct kernfs_node *kn) {
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

struct vg_kwalk_ctx {
	struct kernfs_node *kn;
	bool cut;
};

static long vg_kwalk_step(__u64 k, void *arg) {
	struct vg_kwalk_ctx *c = arg;
	struct vg_walk *w = vg_walk_get();
	struct kernfs_node *kn = c->kn;
	struct kernfs_node *parent = vg_kn_parent(kn);

	if (!w)
		return 1;
	if (!kn || !parent) {
		c->cut = false;
		return 1;
	}
	if (!vg_walk_push(w, (const unsigned char *)BPF_CORE_READ(kn, name)))
		return 1;
	c->kn = parent;
	return 0;
}

/* Collect a cgroup's kernfs names leaf first into w; none for the hierarchy's root. */
static __always_inline void vg_cgroup_names(struct vg_walk *w, struct cgroup *cg, bool *cut) {
	struct vg_kwalk_ctx c = {.kn = BPF_CORE_READ(cg, kn), .cut = true};

	w->n = 0;
	bpf_loop(VG_PATH_DEPTH + 1, vg_kwalk_step, &c, 0);
	*cut = c.cut;
}

/*
 * The task's cgroup path into string i: the v2 path, or on hybrid hosts
 * where the task sits in the v2 root, its v1 pids (else memory) cgroup.
 */
static __always_inline void vg_str_cgroup(struct vg_rec *r, int i, struct task_struct *t) {
	struct vg_walk *w = vg_walk_get();
	struct css_set *cset = BPF_CORE_READ(t, cgroups);
	int pids = bpf_core_enum_value(enum cgroup_subsys_id, pids_cgrp_id);
	int memory = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct cgroup_subsys_state *css;
	bool cut = false;

	if (!w)
		return;
	vg_cgroup_names(w, BPF_CORE_READ(cset, dfl_cgrp), &cut);
	if (w->n == 0 && bpf_core_enum_value_exists(enum cgroup_subsys_id, pids_cgrp_id)) {
		bpf_core_read(&css, sizeof(css), &cset->subsys[pids & 15]);
		vg_cgroup_names(w, BPF_CORE_READ(css, cgroup), &cut);
	}
	if (w->n == 0 && bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		bpf_core_read(&css, sizeof(css), &cset->subsys[memory & 15]);
		vg_cgroup_names(w, BPF_CORE_READ(css, cgroup), &cut);
	}
	vg_str_names(r, i, w, cut, true);
}

#endif /* VIGIL_VG_PATH_H */
