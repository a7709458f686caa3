/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Enforcement policy maps, shared by the sensor's tracepoint programs (kill),
 * the cgroup sock_addr programs (deny) and the LSM programs (deny). User space
 * (src/enforce/policy-maps.ts) writes them; every object that includes this
 * header with VG_DEFINE_MAPS defines them, and the agent loads the cgroup
 * object first and has the others reuse its maps, so one write reaches all.
 *
 * Reload is a generation swap: entries carry the generation they belong to,
 * vg_enf_cfg.gen says which one is in force. New entries are written under
 * gen + 1, the gen flips in one array write, then the old entries go: a probe
 * never sees half a policy.
 */
#ifndef VIGIL_VG_ENFORCE_MAPS_H
#define VIGIL_VG_ENFORCE_MAPS_H

#ifdef VG_DEFINE_MAPS
#define VG_ENF_MAP_DECL
#else
#define VG_ENF_MAP_DECL extern
#endif

#define VG_ENF_VAL_MAX    256  /* strings the kernel compares: shorter than this, NUL padded */
#define VG_ENF_POLICY_MAX 4096 /* string policy entries (both generations) */
#define VG_ENF_NET_MAX    4096 /* address policy entries (both generations) */
#define VG_ENF_ANY_UID    0xffffffffu
#define VG_PF_KTHREAD     0x00200000
#define VG_SIGKILL        9

/* Which string of a record a policy entry compares. */
enum vg_enf_field {
	VG_ENF_F_STR0 = 1,  /* the record's first string: exec = exe path, file = path as passed */
	VG_ENF_F_COMM = 2,  /* the task's comm (proc.name) */
	VG_ENF_F_ARGV0 = 3, /* exec: argv[0] of the new image (proc.exe) */
	VG_ENF_F_PCOMM = 4, /* exec: the parent's comm (proc.pname) */
	VG_ENF_F_PEXE = 5,  /* exec: the parent's exe path, walked from its mm->exe_file */
	/* vg_enf_prefix (LPM trie) entries, exec only: a prefix of the text, or of a suffix of it.
	 */
	VG_ENF_F_CMDLINE_PFX = 6, /* proc.cmdline startswith (=: the prefix includes the NUL) */
	VG_ENF_F_CMDLINE_SUB = 7, /* proc.cmdline contains */
	VG_ENF_F_ARGS_PFX = 8,    /* proc.args startswith (=: with the NUL) */
	VG_ENF_F_ARGS_SUB = 9,    /* proc.args contains */
};

enum vg_enf_action {
	VG_ENF_KILL = 1,
	VG_ENF_DENY = 2,
};

/* Where a network policy applies (the cgroup hook or LSM hook that checks it). */
enum vg_enf_hook {
	VG_ENF_H_CONNECT = 1, /* connect4/6, lsm socket_connect: the destination */
	VG_ENF_H_SENDMSG = 2, /* sendmsg4/6: the destination of an unconnected send */
	VG_ENF_H_BIND = 3,    /* bind4/6: the local address */
};

struct vg_enf_cfg {
	__u32 gen;        /* generation in force */
	__u32 enabled;    /* 0: monitor mode, nothing is acted on */
	__u32 agent_tgid; /* never acted on; its processes are protected */
	__u32 lsm; /* 1: the LSM programs deny; the tracepoint check then kills for kill only */
	__u32 lsm_hooks; /* VG_ENF_LSM_*: the LSM path hooks with deny entries (the others skip) */
	__u32 fields;    /* VG_ENF_USE_*: which costly checks some entry needs (the others skip) */
};

/* vg_enf_cfg.fields bits: the exec probe builds a text or walks a path only when an entry needs it.
 */
#define VG_ENF_USE_PEXE        (1u << 0)
#define VG_ENF_USE_CMDLINE_PFX (1u << 1)
#define VG_ENF_USE_CMDLINE_SUB (1u << 2)
#define VG_ENF_USE_ARGS_PFX    (1u << 3)
#define VG_ENF_USE_ARGS_SUB    (1u << 4)
#define VG_ENF_USE_TEXT        (0xfu << 1)

/* vg_enf_cfg.lsm_hooks bits: an LSM hook with no deny entry returns at once. */
#define VG_ENF_LSM_EXEC   (1u << 0)
#define VG_ENF_LSM_OPEN   (1u << 1)
#define VG_ENF_LSM_UNLINK (1u << 2)
#define VG_ENF_LSM_RENAME (1u << 3)

struct vg_enf_key {
	__u32 gen;
	__u16 type; /* enum vg_event_type */
	__u8 field; /* enum vg_enf_field */
	__u8 _pad;
	char val[VG_ENF_VAL_MAX];
};

struct vg_enf_rule {
	__u32 rule_id; /* index user space gave the rule: counted, not interpreted */
	__u32 action;  /* enum vg_enf_action */
	__u32 uid;     /* the real uid the rule requires, or VG_ENF_ANY_UID */
	__u32 _pad;
};

/*
 * vg_enf_prefix key: an entry fixes the first prefixlen bits of gen, type, field and val (a
 * value of n bytes: (8 + n) * 8, the NUL counted for an exact value); a lookup gives all of them.
 * The data (gen..val) is 256 bytes, the largest an LPM trie takes.
 */
#define VG_ENF_PFX_MAX 248
struct vg_enf_pfx_key {
	__u32 prefixlen;
	__u32 gen;
	__u16 type; /* enum vg_event_type */
	__u8 field; /* enum vg_enf_field, the *_PFX / *_SUB ones */
	__u8 _pad;
	char val[VG_ENF_PFX_MAX];
};
#define VG_ENF_PFX_FULL ((8 + VG_ENF_PFX_MAX) * 8)

/*
 * The texts the exec probe builds for prefix and contains entries, bounded: proc.args (argv
 * after argv[0], NULs made spaces, the final NUL kept) from buf[VG_ENF_TEXT_HEAD], and
 * proc.cmdline (comm, a space when there are arguments, then the args) ending just before it.
 * Contains is checked at the first VG_ENF_TEXT_WIN offsets, each lookup seeing VG_ENF_PFX_MAX
 * bytes.
 */
#define VG_ENF_TEXT_HEAD 16
#define VG_ENF_TEXT_WIN  256
#define VG_ENF_TEXT_ARGS (VG_ENF_TEXT_WIN + VG_ENF_PFX_MAX)
#define VG_ENF_TEXT_MAX  (VG_ENF_TEXT_HEAD + VG_ENF_TEXT_ARGS)
struct vg_enf_text {
	struct vg_enf_pfx_key key;
	__u32 rule_id; /* a contains walk's match */
	__u32 start;   /* where the text searched begins in buf */
	__u32 len;     /* its length */
	__u32 uid;
	__u8 field;
	__u8 _pad[7];
	char buf[VG_ENF_TEXT_MAX + 8];
};

struct vg_enf_net_key {
	__u32 gen;
	__u8 hook;   /* enum vg_enf_hook */
	__u8 proto;  /* IPPROTO_TCP / IPPROTO_UDP, 0 = any */
	__u8 family; /* 4 or 6 */
	__u8 _pad;
	__u16 port; /* host order, 0 = any */
	__u16 _pad2;
	__u32 addr[4]; /* network order; IPv4 in addr[0]; all zero = any */
};

struct vg_enf_stats {
	__u64 kills;   /* SIGKILL sent from a probe */
	__u64 denies;  /* operations refused (cgroup or LSM) */
	__u64 protect; /* attempts on the agent refused (LSM) */
};

VG_ENF_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vg_enf_cfg);
} vg_enf_cfg SEC(".maps");

VG_ENF_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VG_ENF_POLICY_MAX);
	__type(key, struct vg_enf_key);
	__type(value, struct vg_enf_rule);
} vg_enf_policy SEC(".maps");

VG_ENF_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VG_ENF_NET_MAX);
	__type(key, struct vg_enf_net_key);
	__type(value, struct vg_enf_rule);
} vg_enf_net SEC(".maps");

#define VG_ENF_PREFIX_MAX 1024

VG_ENF_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VG_ENF_PREFIX_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vg_enf_pfx_key);
	__type(value, struct vg_enf_rule);
} vg_enf_prefix SEC(".maps");

/* The exec probe's texts and the prefix lookup key (too large for the stack). */
VG_ENF_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vg_enf_text);
} vg_enf_text SEC(".maps");

/* config enforcement.allow.exe as (st_dev, st_ino) of each file: that program is never acted on. */
struct vg_enf_exe_key {
	__u32 dev; /* as stat(2) gives st_dev */
	__u32 _pad;
	__u64 ino;
};

#define VG_ENF_ALLOW_MAX 1024

VG_ENF_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VG_ENF_ALLOW_MAX);
	__type(key, struct vg_enf_exe_key);
	__type(value, __u32);
} vg_enf_allow_exe SEC(".maps");

/* config enforcement.allow.uid: processes of these real uids are never acted on. */
VG_ENF_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VG_ENF_ALLOW_MAX);
	__type(key, __u32);
	__type(value, __u32);
} vg_enf_allow_uid SEC(".maps");

/* The lookup key is built here: 264 bytes do not fit the 512-byte stack beside a record's. */
VG_ENF_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vg_enf_key);
} vg_enf_keybuf SEC(".maps");

VG_ENF_MAP_DECL struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vg_enf_stats);
} vg_enf_stats SEC(".maps");

/* The config when enforcement is on, else NULL. */
static __always_inline struct vg_enf_cfg *vg_enf_active(void) {
	__u32 zero = 0;
	struct vg_enf_cfg *c = bpf_map_lookup_elem(&vg_enf_cfg, &zero);

	return c && c->enabled ? c : NULL;
}

static __always_inline struct vg_enf_stats *vg_enf_stats_get(void) {
	__u32 zero = 0;
	return bpf_map_lookup_elem(&vg_enf_stats, &zero);
}

/* pid 1 and the agent are never acted on (kernel threads: see the callers). */
static __always_inline bool vg_enf_exempt_tgid(const struct vg_enf_cfg *c, __u32 tgid) {
	return tgid <= 1 || tgid == c->agent_tgid;
}

static __always_inline __u32 vg_enf_dev(__u32 dev) {
	__u32 major = dev >> 20, minor = dev & 0xfffff;

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* The allow-list: the task's program (mm->exe_file) or its real uid is listed. */
static __always_inline bool vg_enf_allowed(struct task_struct *t, __u32 uid) {
	struct inode *ino = BPF_CORE_READ(t, mm, exe_file, f_inode);
	struct vg_enf_exe_key k = {};

	if (bpf_map_lookup_elem(&vg_enf_allow_uid, &uid))
		return true;
	if (!ino)
		return false;
	k.dev = vg_enf_dev(BPF_CORE_READ(ino, i_sb, s_dev));
	k.ino = BPF_CORE_READ(ino, i_ino);
	return bpf_map_lookup_elem(&vg_enf_allow_exe, &k) != NULL;
}

/* A matched entry applies when its uid constraint holds. */
static __always_inline bool vg_enf_uid_ok(const struct vg_enf_rule *r, __u32 uid) {
	return r->uid == VG_ENF_ANY_UID || r->uid == uid;
}

#endif /* VIGIL_VG_ENFORCE_MAPS_H */
