/*
 * One of every syscall the sensors trace, with recognisable arguments, for test/bpf. Built by
 * the test with the host compiler; run as root in a fresh directory (argv[1]). Results are not
 * checked here: a failed call is an event too. Prints the pid it ptrace-attached.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 2 || chdir(argv[1]) != 0)
		return 2;
	int dfd = open(".", O_RDONLY | O_DIRECTORY);

	/* files, relative to a dirfd and to the cwd */
	mkdirat(dfd, "sub", 0750);
	int fd = openat(dfd, "sub/f", O_CREAT | O_WRONLY, 0640);
	fchmod(fd, 0600);
	fchown(fd, 0, 0);
	ftruncate(fd, 7);
	syscall(SYS_renameat2, dfd, "sub/f", dfd, "sub/g", 1 /* RENAME_NOREPLACE */);
	linkat(dfd, "sub/g", dfd, "sub/h", 0);
	symlinkat("g", dfd, "sub/l");
	fchownat(dfd, "sub/g", 0, 0, AT_SYMLINK_NOFOLLOW);
	fchmodat(dfd, "sub/g", 0644, 0);
	truncate("sub/g", 3);
	struct timespec times[2] = {{.tv_sec = 1000000000, .tv_nsec = 5},
	                            {.tv_sec = 1200000000, .tv_nsec = 7}};
	utimensat(dfd, "sub/g", times, AT_SYMLINK_NOFOLLOW);
	futimens(fd, NULL);
	struct timeval tv[2] = {{.tv_sec = 1300000000, .tv_usec = 3},
	                        {.tv_sec = 1400000000, .tv_usec = 4}};
	syscall(SYS_utimes, "sub/g", tv); /* glibc's utimes() is utimensat */
	/* vfs_cap_data v2: permitted = CAP_SETUID (7) | CAP_SYS_ADMIN (21) in the low word */
	__u32 cap[5] = {VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE, (1u << 7) | (1u << 21), 0, 1,
	                0};
	setxattr("sub/g", "security.capability", cap, sizeof(cap), 0);
	lsetxattr("sub/g", "user.vigil", "v", 1, XATTR_CREATE);
	fsetxattr(fd, "user.vigil-fd", "vv", 2, 0);
	mknodat(dfd, "sub/fifo", S_IFIFO | 0600, 0);
	syscall(SYS_mknod, "sub/null", S_IFCHR | 0600,
	        makedev(1, 3)); /* glibc's mknod() is mknodat */
	unlinkat(dfd, "sub/fifo", 0);
	unlinkat(dfd, "sub/null", 0);
	struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_BENEATH};
	close(syscall(SYS_openat2, dfd, "sub/g", &how, sizeof(how)));
	close(creat("c", 0600));
	unlinkat(dfd, "sub/l", 0);
	unlink("sub/h");
	unlinkat(dfd, "sub/g", 0);
	unlinkat(dfd, "sub", AT_REMOVEDIR);

	/* credentials */
	setuid(0);
	setresgid(-1, -1, -1);
	struct __user_cap_header_struct caph = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct capd[2];
	syscall(SYS_capget, &caph, capd);
	syscall(SYS_capset, &caph, capd);

	/* process */
	int mfd = memfd_create("vigil-test", MFD_CLOEXEC);
	syscall(SYS_finit_module, mfd, "vigil=1", 0);
	syscall(SYS_init_module, "\177ELF", 4, "vigil=2");
	prctl(PR_SET_NAME, "vg-renamed", 0, 0, 0);
	char vm_src[8] = "vg-vm", vm_dst[8];
	struct iovec vm_local = {vm_dst, sizeof(vm_dst)}, vm_remote = {vm_src, sizeof(vm_src)};
	process_vm_readv(getpid(), &vm_local, 1, &vm_remote, 1, 0);
	process_vm_writev(getpid(), &vm_remote, 1, &vm_local, 1, 0);
	unshare(CLONE_NEWUTS);
	int nsfd = open("/proc/self/ns/uts", O_RDONLY);
	setns(nsfd, CLONE_NEWUTS);
	syscall(SYS_userfaultfd, O_CLOEXEC);
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	printf("%d\n", child);
	fflush(stdout);
	if (ptrace(PTRACE_ATTACH, child, 0, 0) == 0) {
		waitpid(child, NULL, 0);
		ptrace(PTRACE_DETACH, child, 0, 0);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);

	/* network: unix stream pair through a bound path, a UDP datagram, a dup3 of it */
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/sock", argv[1]);
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(ls, (struct sockaddr *)&un, sizeof(un));
	listen(ls, 7);
	int cs = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(cs, (struct sockaddr *)&un, sizeof(un));
	close(accept4(ls, NULL, NULL, SOCK_CLOEXEC));
	int us = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = {
	    .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	sendto(us, "x", 1, 0, (struct sockaddr *)&to, sizeof(to));
	dup3(us, 40, O_CLOEXEC);
	int us6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 to6 = {
	    .sin6_family = AF_INET6, .sin6_port = htons(9), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	sendto(us6, "x", 1, 0, (struct sockaddr *)&to6, sizeof(to6));
	/* recvfrom: its data's first bytes are in the record when vg_snaplen asks (send() is not
	 * recorded) */
	int pair[2];
	char got[64];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, pair);
	send(pair[0], "vigil-data", 10, 0);
	recvfrom(pair[1], got, sizeof(got), 0, NULL, NULL);
	/* refused: the socket forgets the peer's port, the record keeps the address asked for */
	int ts = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in refused = {
	    .sin_family = AF_INET, .sin_port = htons(1), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	connect(ts, (struct sockaddr *)&refused, sizeof(refused));

	fchdir(dfd); /* before the new mount namespace: dfd's mount stays in this one */

	/* mounts, in a private mount namespace */
	if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) {
		mkdir("mnt", 0700);
		mount("vigil-src", "mnt", "tmpfs", MS_NOSUID, NULL);
		umount2("mnt", MNT_DETACH);
		rmdir("mnt");
	}
	return 0;
}
