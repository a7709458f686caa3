/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Which BPF object a file is: the sensor's bpf(2) records name the object a call aims at
 * (bpf/tracepoints/process.bpf.c), and the LSM's self-protection refuses changes to the
 * agent's (bpf/lsm/protect.bpf.c). A BPF object's fd is an anonymous inode named "bpf-map",
 * "bpf-prog" or, for a link, "bpf_link" (the fd the link was made with) or "bpf-link" (an fd
 * from BPF_LINK_GET_FD_BY_ID, as bpftool gets one), its object in private_data.
 */
#ifndef VIGIL_VG_BPF_OBJ_H
#define VIGIL_VG_BPF_OBJ_H

#include "vg_path.h"

/* enum vg_bpf_obj of the file, VG_BPF_OBJ_NONE for any other file (or none). */
static __always_inline __u32 vg_bpf_file_kind(struct file *f) {
	char n[10] = {};

	if (!f)
		return VG_BPF_OBJ_NONE;
	bpf_probe_read_kernel_str(n, sizeof(n), BPF_CORE_READ(f, f_path.dentry, d_name.name));
	if (n[0] != 'b' || n[1] != 'p' || n[2] != 'f')
		return VG_BPF_OBJ_NONE;
	if (n[3] == '-' && n[4] == 'm' && n[5] == 'a' && n[6] == 'p' && n[7] == 0)
		return VG_BPF_OBJ_MAP;
	if (n[3] == '-' && n[4] == 'p' && n[5] == 'r' && n[6] == 'o' && n[7] == 'g' && n[8] == 0)
		return VG_BPF_OBJ_PROG;
	if ((n[3] == '_' || n[3] == '-') && n[4] == 'l' && n[5] == 'i' && n[6] == 'n' &&
	    n[7] == 'k' && n[8] == 0)
		return VG_BPF_OBJ_LINK;
	return VG_BPF_OBJ_NONE;
}

/* The id of the object file f holds, of kind (vg_bpf_file_kind). */
static __always_inline __u32 vg_bpf_file_id(struct file *f, __u32 kind) {
	void *priv = BPF_CORE_READ(f, private_data);

	switch (kind) {
	case VG_BPF_OBJ_MAP:
		return BPF_CORE_READ((struct bpf_map *)priv, id);
	case VG_BPF_OBJ_PROG:
		return BPF_CORE_READ((struct bpf_prog *)priv, aux, id);
	case VG_BPF_OBJ_LINK:
		return BPF_CORE_READ((struct bpf_link *)priv, id);
	}
	return 0;
}

#endif /* VIGIL_VG_BPF_OBJ_H */
