/*
 * The syscall-heavy workload of the benchmarks: cheap and stable, so that what
 * is timed is the cost the agent adds to each syscall, not the workload itself.
 *   workload open N [PATH]   N open+close pairs of PATH (default /etc/hostname)
 *   workload exec N          N fork + exec of /bin/true, each waited for
 *   workload connect N       N loopback TCP connects to a listener of its own
 *   workload rate R S [PATH] open+close at R pairs/s for S seconds (paced per ms)
 * Prints (rate: the pairs done, then) `cpu SECONDS`: its own and its children's user+system CPU
 * time, where the probes' cost shows up whatever the machine's load. Exit 0 on success.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int opens(long n, const char *path) {
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			return perror("open"), 1;
		close(fd);
	}
	return 0;
}

static int execs(long n) {
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return perror("fork"), 1;
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		int status;
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return 1;
	}
	return 0;
}

static int connects(long n) {
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1024) ||
	    getsockname(ls, (struct sockaddr *)&a, &len))
		return perror("listen"), 1;
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		/* RST on close instead of TIME_WAIT: 20,000 connects must not exhaust local ports.
		 */
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (connect(c, (struct sockaddr *)&a, sizeof(a)))
			return perror("connect"), 1;
		int s = accept(ls, NULL, NULL);
		if (s < 0)
			return perror("accept"), 1;
		close(c);
		close(s);
	}
	return 0;
}

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* One paced operation: open/close of a path, or dup2 (the cheapest event every ruleset with a
 * reverse-shell rule asks for, to drive the pipeline past what opens of a watched path reach on
 * 2 cores). Returns 0, or 1 after printing the error. */
static int open_close(const char *path) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return perror("open"), 1;
	close(fd);
	return 0;
}

static int dup2_99(const char *unused) {
	(void)unused;
	if (dup2(1, 99) < 0)
		return perror("dup2"), 1;
	return 0;
}

static int paced(long rate, double seconds, int (*op)(const char *), const char *arg) {
	double start = now();
	long done = 0;
	for (;;) {
		double t = now() - start;
		if (t >= seconds)
			break;
		long due = (long)(t * rate);
		if (done >= due) {
			struct timespec ms = {0, 200000};
			nanosleep(&ms, NULL);
			continue;
		}
		while (done < due) {
			if (op(arg))
				return 1;
			done++;
		}
	}
	printf("%ld\n", done);
	return 0;
}

static double cpu(int who) {
	struct rusage u;
	getrusage(who, &u);
	return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
	       u.ru_stime.tv_usec / 1e6;
}

static int run(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: workload open|exec|connect N | rate R SECONDS [PATH]\n");
		return 2;
	}
	long n = atol(argv[2]);
	if (!strcmp(argv[1], "open"))
		return opens(n, argc > 3 ? argv[3] : "/etc/hostname");
	if (!strcmp(argv[1], "exec"))
		return execs(n);
	if (!strcmp(argv[1], "connect"))
		return connects(n);
	if (!strcmp(argv[1], "rate-dup2") && argc > 3)
		return paced(n, atof(argv[3]), dup2_99, NULL);
	if (!strcmp(argv[1], "rate") && argc > 3)
		return paced(n, atof(argv[3]), open_close, argc > 4 ? argv[4] : "/etc/hostname");
	return 2;
}

int main(int argc, char **argv) {
	int rc = run(argc, argv);
	if (rc == 0)
		printf("cpu %.6f\n", cpu(RUSAGE_SELF) + cpu(RUSAGE_CHILDREN));
	return rc;
}
