/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Signal family: kill, tkill, tgkill and pidfd_send_signal.
 *
 * The arguments alone do not say who was signalled: a pid is relative to the
 * caller's pid namespace, kill(-pgrp) and kill(-1) reach many processes, and a
 * pidfd names a process only through the file. The kernel knows: inside the
 * call, signal_generate fires once per task a signal is generated for, with
 * the task. So sys_enter keeps the call in flight (per thread), signal_generate
 * notes its targets there, and sys_exit sends the record with the result.
 */
#include "vg_record.h"

/* A signal call in flight: the payload being filled, which call it is, whether it was sent. */
struct vg_sig_flight {
	struct vg_signal s;
	__u32 type;
	__u32 sent;
};

/* Keyed by tid; LRU bounds it when an exit is missed (a thread killed mid-call). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct vg_sig_flight);
} vg_sig_flight SEC(".maps");

static __always_inline int vg_signal_enter(__u32 type, __s64 pid, __s64 tid, __u64 sig,
                                           __u64 flags) {
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 key = (__u32)pid_tgid;
	struct vg_sig_flight f = {};

	if (vg_is_agent(pid_tgid >> 32))
		return 0;
	f.type = type;
	f.s.pid = pid;
	f.s.tid = tid;
	f.s.sig = sig;
	f.s.flags = flags;
	bpf_map_update_elem(&vg_sig_flight, &key, &f, BPF_ANY);
	return 0;
}

/* The record of a call in flight, with result ret. */
static __always_inline int vg_signal_send(struct vg_sig_flight *f, long ret) {
	struct vg_signal *s;
	struct vg_rec r;

	s = vg_rec_begin(&r, f->type, ret, sizeof(*s));
	if (!s)
		return 0;
	__builtin_memcpy(s, &f->s, sizeof(*s));
	return vg_rec_send(&r);
}

static __always_inline int vg_signal_exit(__u32 type, long ret) {
	__u32 key = (__u32)bpf_get_current_pid_tgid();
	struct vg_sig_flight *f = bpf_map_lookup_elem(&vg_sig_flight, &key);

	if (!f)
		return 0;
	/*
	 * A process signalling only itself (raise, abort, a profiler's SIGPROF, Go's
	 * preemption SIGURG between its own threads) is the bulk of signal traffic
	 * and never aimed at another process: not reported.
	 */
	if (f->type == type && !f->sent &&
	    !(f->s.targets == 1 && f->s.target_tgid == (bpf_get_current_pid_tgid() >> 32)))
		vg_signal_send(f, ret);
	bpf_map_delete_elem(&vg_sig_flight, &key);
	return 0;
}

/*
 * Every signal the kernel generates passes here (SIGCHLD at each exit too): one
 * hash lookup when the current thread is not in a traced call. The signal
 * number must match the call's, so that another signal generated in the same
 * context (an interrupt's) is not taken for its target.
 */
SEC("tp_btf/signal_generate")
int BPF_PROG(sig_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
             int group, int result) {
	__u32 key = (__u32)bpf_get_current_pid_tgid();
	struct vg_sig_flight *f = bpf_map_lookup_elem(&vg_sig_flight, &key);
	__u32 tgid;

	if (!f || f->s.sig != (__u32)sig)
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	if (f->s.targets == 0) {
		f->s.target_tgid = tgid;
		f->s.target_tid = BPF_CORE_READ(task, pid);
		f->s.result = result;
		BPF_CORE_READ_STR_INTO(&f->s.target_comm, task, comm);
	}
	f->s.targets++;
	/*
	 * A signal to the agent is sent now, not at sys_exit: the sender holds the
	 * target's siglock here (interrupts off, no preemption), so the record is in
	 * the ring buffer before the agent can take the signal, and its shutdown
	 * drains it. The call succeeds once a signal is generated: result 0.
	 */
	if (vg_is_agent(tgid) && !f->sent) {
		f->s.hit_agent = 1;
		f->sent = 1;
		vg_signal_send(f, 0);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_kill")
int enter_kill(struct trace_event_raw_sys_enter *ctx) {
	return vg_signal_enter(VG_EVT_KILL, (int)ctx->args[0], 0, ctx->args[1], 0);
}

SEC("tracepoint/syscalls/sys_enter_tkill")
int enter_tkill(struct trace_event_raw_sys_enter *ctx) {
	return vg_signal_enter(VG_EVT_TKILL, (int)ctx->args[0], 0, ctx->args[1], 0);
}

SEC("tracepoint/syscalls/sys_enter_tgkill")
int enter_tgkill(struct trace_event_raw_sys_enter *ctx) {
	return vg_signal_enter(VG_EVT_TGKILL, (int)ctx->args[0], (int)ctx->args[1], ctx->args[2],
	                       0);
}

SEC("tracepoint/syscalls/sys_enter_pidfd_send_signal")
int enter_pidfd_send_signal(struct trace_event_raw_sys_enter *ctx) {
	return vg_signal_enter(VG_EVT_PIDFD_SEND_SIGNAL, (int)ctx->args[0], 0, ctx->args[1],
	                       ctx->args[3]);
}

#define VG_SIGNAL_EXIT(name, type)                                                                 \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int exit_##name(struct trace_event_raw_sys_exit *ctx) {                                    \
		return vg_signal_exit(type, ctx->ret);                                             \
	}

VG_SIGNAL_EXIT(kill, VG_EVT_KILL)
VG_SIGNAL_EXIT(tkill, VG_EVT_TKILL)
VG_SIGNAL_EXIT(tgkill, VG_EVT_TGKILL)
VG_SIGNAL_EXIT(pidfd_send_signal, VG_EVT_PIDFD_SEND_SIGNAL)
