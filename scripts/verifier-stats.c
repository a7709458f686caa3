// SPDX-License-Identifier: Apache-2.0
/*
 * How hard the verifier works on each program of a BPF object: loads the
 * object with libbpf at log level 4 (statistics only) and prints, per
 * program, the kernel's "processed N insns ... total_states" line. Any
 * change to a loop in bpf/ should be checked with it: an open-coded loop
 * the verifier walks once per possible bound can take 100,000s of
 * instructions, which an emulated CPU (the qemu guests of `make test-vm`)
 * does not verify within the agent's start-up time. Needs root.
 *
 *   cc -O2 -o /tmp/verifier-stats scripts/verifier-stats.c -lbpf
 *   /tmp/verifier-stats build/bpf/sensors.bpf.o [substring of program names]
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_SIZE 8192

int main(int argc, char **argv) {
	struct bpf_object *obj;
	struct bpf_program *p;
	char **logs;
	int n = 0, i = 0, err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s OBJECT.bpf.o [NAME-SUBSTRING]\n", argv[0]);
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		perror(argv[1]);
		return 1;
	}
	bpf_object__for_each_program(p, obj) n++;
	logs = calloc(n, sizeof(*logs));
	if (!logs)
		return 1;
	bpf_object__for_each_program(p, obj) {
		/* Programs outside the filter are not loaded at all. */
		bool want = argc < 3 || strstr(bpf_program__name(p), argv[2]);

		bpf_program__set_autoload(p, want);
		if (want) {
			logs[i] = calloc(1, LOG_SIZE);
			if (!logs[i])
				return 1;
			bpf_program__set_log_buf(p, logs[i], LOG_SIZE);
			bpf_program__set_log_level(p, 4);
		}
		i++;
	}
	err = bpf_object__load(obj);
	i = 0;
	bpf_object__for_each_program(p, obj) {
		if (logs[i]) {
			char *stats = strstr(logs[i], "processed");
			char *nl = stats ? strchr(stats, '\n') : NULL;

			if (nl)
				*nl = '\0';
			printf("%-24s %s\n", bpf_program__name(p),
			       stats ? stats : "(no statistics)");
		}
		i++;
	}
	printf("load: %s\n", err ? strerror(-err) : "ok");
	bpf_object__close(obj);
	return err ? 1 : 0;
}
