/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * `vigil doctor` probes: one trivial program per program type vigil uses. The
 * doctor loads and attaches each one alone (autoload), exactly as the sensors
 * will be, because a type the kernel knows can still be refused at load or
 * attach (trampolines blocked, lockdown, no BTF for the target). Every program
 * does nothing and allows everything, so attaching one for an instant is safe.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* Created at load; the doctor sizes it to the configured ring buffer to test that much memory. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} probe_ring SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int probe_tracepoint(void *ctx) {
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int probe_raw_tracepoint(struct bpf_raw_tracepoint_args *ctx) {
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(probe_tp_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) {
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(probe_lsm, struct file *file) {
	return 0;
}

SEC("fentry/do_unlinkat")
int BPF_PROG(probe_fentry, int dfd, struct filename *name) {
	return 0;
}

SEC("cgroup/connect4")
int probe_cgroup_sock_addr(struct bpf_sock_addr *ctx) {
	return 1; /* allow */
}

/*
 * Loaded, never attached: the verifier accepts bpf_send_signal only where the
 * kernel has it. The pid test keeps the call reachable for the verifier while
 * no real task (pid 0 never makes syscalls) could take this branch.
 */
SEC("tracepoint/syscalls/sys_enter_getppid")
int probe_send_signal(void *ctx) {
	if ((bpf_get_current_pid_tgid() >> 32) == 0)
		bpf_send_signal(9);
	return 0;
}
