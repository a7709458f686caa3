/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The open prefilter: the exit_open* programs ask vg_open_wanted() before
 * they build a record, and drop opens no loaded rule can match. User space
 * (src/plan/open-filter.ts) derives from the rules what an open must look
 * like to possibly match, and writes it here:
 *
 *   vg_of_slot[gen & 1]  whether the filter is on, the flag need of rules
 *                        that constrain no path, the flag need of rules that
 *                        need a path component, and a bloom bitmap of those
 *                        components;
 *   vg_of_prefix         LPM trie: generation byte + path prefix (an exact
 *                        path ends with its NUL) -> flag need;
 *   vg_of_suffix         LPM trie: generation byte + reversed path suffix;
 *   vg_of_ident          hash: (device, inode) of every exact path the rules
 *                        name that exists, and of every directory a prefix
 *                        names (/etc/) -> flag need. An open the path tests
 *                        drop is still reported when the file it opened is
 *                        one of these, or lies below one of these
 *                        directories (vg_of_cfg.dirs > 0), whatever path,
 *                        link or mount it was reached through.
 *
 * A reload fills the other generation, then flips vg_of_cfg.gen (one u32),
 * then deletes the old entries: a program sees one whole generation.
 *
 * Only an absolute path in normal form (no "//", "." or ".." component, no
 * trailing '/'), all ASCII and shorter than a key is judged: then fd.name in
 * user space is that path byte for byte. Any other open is reported.
 */
#ifndef VIGIL_VG_OPEN_FILTER_H
#define VIGIL_VG_OPEN_FILTER_H

#define VG_OF_KEY         256 /* LPM trie data bytes: at most 256 */
#define VG_OF_BLOOM_WORDS 64  /* 4096 bits */
#define VG_OF_ENTRIES     4096
#define VG_OF_FNV_BASIS   2166136261u
#define VG_OF_FNV_PRIME   16777619u

struct vg_of_key {
	__u32 prefixlen; /* bits */
	__u8 data[VG_OF_KEY];
};

/* What the open's flags and result must be: access mode m allowed when bit m of acc is set. */
struct vg_of_need {
	__u8 acc;
	__u8 success; /* the open must have returned an fd */
	__u16 _pad;
	__u32 bits; /* 0, or at least one of these flags must be set */
};

/* vg_of_slot.flags: look the trie up whatever its bloom bitmap says. */
#define VG_OF_PREFIX_ALWAYS 1u
#define VG_OF_SUFFIX_ALWAYS 2u

/*
 * The tries cost most of the filter's time (two LPM lookups), so each has a
 * bloom bitmap in front: pbloom holds the
 * hash of every trie prefix cut after its last '/' (and of every exact path
 * with its NUL), sbloom the hash of every suffix's last 3 bytes, each once
 * per access mode its entry's need allows. A path whose '/'-ended prefixes
 * and whole form miss pbloom for its access mode cannot pass the prefix trie.
 */
struct vg_of_slot {
	__u32 on;
	__u32 flags;
	struct vg_of_need any;  /* rules with no path constraint (acc 0: none) */
	struct vg_of_need comp; /* rules needing a component of the bloom bitmap */
	__u64 bloom[VG_OF_BLOOM_WORDS];
	__u64 pbloom[VG_OF_BLOOM_WORDS];
	__u64 sbloom[VG_OF_BLOOM_WORDS];
};

struct vg_of_cfg {
	__u32 gen;
	__u32 dirs; /* directory entries in vg_of_ident: 0 = no ancestor walk */
};

/* Ancestors of an opened file looked up in vg_of_ident (a deeper one is not judged by them). */
#define VG_OF_ANCESTORS 24

/* Per CPU: the path forwards and reversed, and the scan's state (in map memory: see vg_path.h). */
struct vg_of_buf {
	struct vg_of_key fwd;
	struct vg_of_key rev;
	__u32 len; /* path bytes, NUL not counted */
	__u32 h;   /* FNV-1a of the component so far */
	__u32 clen;
	__u32 cdots;
	__u32 ph; /* FNV-1a of the path so far, from its leading '/' */
};

/* A file by identity: inode and device (encoded as stat(2) gives st_dev). */
struct vg_of_ident_key {
	__u64 ino;
	__u32 dev;
	__u32 _pad;
};

/* Opens judged by the filter: dropped, and reported. */
struct vg_of_stats {
	__u64 filtered;
	__u64 passed;
};

VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vg_of_cfg);
} vg_of_cfg SEC(".maps");

VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct vg_of_slot);
} vg_of_slot SEC(".maps");

VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VG_OF_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vg_of_key);
	__type(value, struct vg_of_need);
} vg_of_prefix SEC(".maps");

VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VG_OF_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vg_of_key);
	__type(value, struct vg_of_need);
} vg_of_suffix SEC(".maps");

VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VG_OF_ENTRIES);
	__type(key, struct vg_of_ident_key);
	__type(value, struct vg_of_need);
} vg_of_ident SEC(".maps");

VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vg_of_buf);
} vg_of_buf SEC(".maps");

VG_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vg_of_stats);
} vg_of_stats SEC(".maps");

#ifndef VG_DEFINE_MAPS

static __always_inline bool vg_of_need_ok(const struct vg_of_need *n, __u32 flags, long ret) {
	if (!n || !(n->acc & (1u << (flags & 3))))
		return false;
	if (n->success && ret < 0)
		return false;
	return !n->bits || (flags & n->bits);
}

struct vg_of_scan {
	struct vg_of_buf *b;
	const struct vg_of_slot *sl;
	__u32 slot;
	bool pass; /* not judged: report it */
	bool hit;  /* a component is in the bloom bitmap */
	bool phit; /* a prefix (or the whole path) is in pbloom */
	__u32 acc; /* the open's access mode: pbloom and sbloom bits are per access mode */
};

/* pbloom and sbloom: the bit of hash h for an entry whose need allows access mode acc. */
#define VG_OF_ACC_MIX(h, acc) ((h) + (acc)*0x9e3779b9u)

static __always_inline bool vg_of_bit(const __u64 *bits, __u32 h) {
	__u32 bit = h & (VG_OF_BLOOM_WORDS * 64 - 1);

	return bits[(bit >> 6) & (VG_OF_BLOOM_WORDS - 1)] & (1ull << (bit & 63));
}

static __always_inline struct vg_of_buf *vg_of_buf_get(void) {
	__u32 zero = 0;
	return bpf_map_lookup_elem(&vg_of_buf, &zero);
}

/*
 * Byte k of the path (byte 0 is the leading '/'); k == len is a virtual '/'
 * that ends the last component. Copies the byte into the reversed key,
 * hashes components, and stops (1) at the end or on what cannot be judged.
 */
static __always_inline long vg_of_byte(struct vg_of_scan *s, struct vg_of_buf *b,
                                       const struct vg_of_slot *slot, __u32 k) {
	__u32 len = b->len;
	__u8 c;

	if (k > len || len >= VG_OF_KEY - 2)
		return 1;
	c = k < len ? b->fwd.data[(k + 1) & 0xff] : '/';
	if (c >= 0x80) {
		s->pass = true;
		return 1;
	}
	if (k < len) {
		b->ph = (b->ph ^ c) * VG_OF_FNV_PRIME;
		if (c == '/' && vg_of_bit(slot->pbloom, VG_OF_ACC_MIX(b->ph, s->acc)))
			s->phit = true;
	} else if (vg_of_bit(slot->pbloom, VG_OF_ACC_MIX(b->ph * VG_OF_FNV_PRIME, s->acc))) {
		s->phit = true; /* the whole path and its NUL: an exact entry */
	}
	if (c != '/') {
		b->h = (b->h ^ c) * VG_OF_FNV_PRIME;
		b->clen++;
		if (c == '.')
			b->cdots++;
		b->rev.data[(len - k) & 0xff] = c;
		return 0;
	}
	/* A component ends: empty ("//", trailing '/'), "." and ".." are resolved in user space. */
	if (b->clen == 0 || (b->cdots == b->clen && b->clen <= 2)) {
		s->pass = true;
		return 1;
	}
	if (vg_of_bit(slot->bloom, b->h))
		s->hit = true;
	b->h = VG_OF_FNV_BASIS;
	b->clen = 0;
	b->cdots = 0;
	if (k < len)
		b->rev.data[(len - k) & 0xff] = '/';
	return 0;
}

/*
 * bpf_loop() body: VG_OF_STEP_BYTES bytes of the path per call. The scan runs
 * for every open a rule could want and each call costs a call and a return
 * thunk, so a call takes several bytes; the map values come in the loop's
 * context rather than a lookup per call. Not a plain bounded loop: the
 * verifier walks that once per possible length with the rest of the program,
 * too many instructions for the slowest supported guest to verify in time
 * (check with scripts/verifier-stats.c; figures in docs/performance.md).
 */
#define VG_OF_STEP_BYTES 4
static long vg_of_step(__u64 i, void *arg) {
	struct vg_of_scan *s = arg;
	struct vg_of_buf *b = s->b;
	const struct vg_of_slot *slot = s->sl;

	if (!b || !slot) {
		s->pass = true;
		return 1;
	}
#pragma unroll
	for (__u32 j = 0; j < VG_OF_STEP_BYTES; j++)
		if (vg_of_byte(s, b, slot, i * VG_OF_STEP_BYTES + j + 1))
			return 1;
	return 0;
}

static __always_inline void vg_of_count(bool passed) {
	__u32 zero = 0;
	struct vg_of_stats *st = bpf_map_lookup_elem(&vg_of_stats, &zero);

	if (!st)
		return;
	if (passed)
		st->passed++;
	else
		st->filtered++;
}

static __always_inline bool vg_open_judge(const char *upath, __u32 flags, long ret) {
	__u32 zero = 0;
	struct vg_of_cfg *cfg = bpf_map_lookup_elem(&vg_of_cfg, &zero);
	struct vg_of_scan s = {};
	struct vg_of_slot *slot;
	struct vg_of_need *n;
	struct vg_of_buf *b;
	__u8 gen;
	long len;

	if (!cfg)
		return true;
	gen = cfg->gen;
	s.slot = gen & 1;
	slot = bpf_map_lookup_elem(&vg_of_slot, &s.slot);
	if (!slot || !slot->on || vg_of_need_ok(&slot->any, flags, ret))
		return true;
	b = vg_of_buf_get();
	if (!b || !upath)
		return true;
	len = bpf_probe_read_user_str(b->fwd.data + 1, VG_OF_KEY - 1, upath);
	/* Empty, unreadable, or possibly cut: not judged. */
	if (len <= 1 || len >= VG_OF_KEY - 2 || b->fwd.data[1] != '/')
		return true;
	b->len = len - 1;
	b->h = VG_OF_FNV_BASIS;
	b->clen = 0;
	b->cdots = 0;
	b->ph = (VG_OF_FNV_BASIS ^ '/') * VG_OF_FNV_PRIME;
	b->rev.data[b->len & 0xff] = '/';
	s.acc = flags & 3;
	s.b = b;
	s.sl = slot;
	bpf_loop((b->len + VG_OF_STEP_BYTES - 1) / VG_OF_STEP_BYTES, vg_of_step, &s, 0);
	if (s.pass)
		return true;
	if (s.hit && vg_of_need_ok(&slot->comp, flags, ret))
		return true;
	if (s.phit || (slot->flags & VG_OF_PREFIX_ALWAYS)) {
		b->fwd.data[0] = gen;
		b->fwd.prefixlen = (b->len + 2) * 8; /* generation byte, path, NUL */
		n = bpf_map_lookup_elem(&vg_of_prefix, &b->fwd);
		if (vg_of_need_ok(n, flags, ret))
			return true;
	}
	if (!(slot->flags & VG_OF_SUFFIX_ALWAYS)) {
		__u32 h = VG_OF_FNV_BASIS, len = b->len;

		if (len < 3)
			return false;
		/* The path's last 3 bytes are data[len - 2 .. len] (data[0] is the generation). */
		h = (h ^ b->fwd.data[(len - 2) & 0xff]) * VG_OF_FNV_PRIME;
		h = (h ^ b->fwd.data[(len - 1) & 0xff]) * VG_OF_FNV_PRIME;
		h = (h ^ b->fwd.data[len & 0xff]) * VG_OF_FNV_PRIME;
		if (!vg_of_bit(slot->sbloom, VG_OF_ACC_MIX(h, flags & 3)))
			return false;
	}
	b->rev.data[0] = gen;
	b->rev.prefixlen = (b->len + 1) * 8;
	n = bpf_map_lookup_elem(&vg_of_suffix, &b->rev);
	return vg_of_need_ok(n, flags, ret);
}

struct vg_of_anc_ctx {
	struct dentry *d;
	struct vg_of_ident_key k;
	__u32 flags;
	long ret;
	bool hit;
};

/* bpf_loop() body: one ancestor directory of the file, looked up by identity. */
static long vg_of_anc_step(__u64 i, void *arg) {
	struct vg_of_anc_ctx *c = arg;
	struct dentry *d = c->d;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);

	if (!parent || parent == d)
		return 1;
	c->d = parent;
	c->k.ino = BPF_CORE_READ(parent, d_inode, i_ino);
	if (vg_of_need_ok(bpf_map_lookup_elem(&vg_of_ident, &c->k), c->flags, c->ret)) {
		c->hit = true;
		return 1;
	}
	return 0;
}

/*
 * The file lies below a directory a rule's prefix names: its dentry's parents
 * (on the file's own filesystem, where a directory has one parent) are looked
 * up. Only when such directories exist.
 */
static __always_inline bool vg_open_below(struct file *file, __u32 dev, __u32 flags, long ret) {
	__u32 zero = 0;
	struct vg_of_cfg *cfg = bpf_map_lookup_elem(&vg_of_cfg, &zero);
	struct vg_of_anc_ctx c = {.flags = flags, .ret = ret};

	if (!cfg || !cfg->dirs)
		return false;
	c.d = BPF_CORE_READ(file, f_path.dentry);
	c.k.dev = dev;
	bpf_loop(VG_OF_ANCESTORS, vg_of_anc_step, &c, 0);
	return c.hit;
}

/* The file opened is one the rules name (vg_of_ident), or lies below such a directory, and the
 * open meets its need. */
static __always_inline bool vg_open_ident(struct file *file, __u32 flags, long ret) {
	struct inode *ino = BPF_CORE_READ(file, f_inode);
	struct vg_of_ident_key k = {};

	if (!ino)
		return false;
	k.ino = BPF_CORE_READ(ino, i_ino);
	k.dev = vg_encode_dev(BPF_CORE_READ(ino, i_sb, s_dev));
	if (vg_of_need_ok(bpf_map_lookup_elem(&vg_of_ident, &k), flags, ret))
		return true;
	return vg_open_below(file, k.dev, flags, ret);
}

/*
 * Whether an open of upath with these flags and this result, which opened
 * `file` (NULL when it failed), is reported (counted either way).
 */
static __always_inline bool vg_open_wanted(const char *upath, __u32 flags, long ret,
                                           struct file *file) {
	bool want = vg_open_judge(upath, flags, ret) || (file && vg_open_ident(file, flags, ret));

	vg_of_count(want);
	return want;
}

#endif /* VG_DEFINE_MAPS */
#endif /* VIGIL_VG_OPEN_FILTER_H */
