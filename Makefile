# vigil build: BPF objects (clang, CO-RE), the libbpf addon (node-gyp), TypeScript (tsc).
# `make` builds everything; `make test` is the README's test command and what .ci/run calls.

CLANG      ?= clang
BPFTOOL    ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BUILD      := build
BPF_OUT    := $(BUILD)/bpf
VMLINUX    := $(BUILD)/vmlinux.h
BPF_SRC    := $(wildcard bpf/tracepoints/*.bpf.c bpf/lsm/*.bpf.c bpf/cgroup/*.bpf.c)
BPF_OBJ    := $(patsubst bpf/%.bpf.c,$(BPF_OUT)/%.bpf.o,$(BPF_SRC))
BPF_HDR    := $(wildcard bpf/include/*.h)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -I$(BUILD) -Ibpf/include -I/usr/include/$(shell uname -m)-linux-gnu
C_FILES     = $(wildcard bpf/include/*.h bpf/*/*.c native/src/*.cc native/src/*.h)
TEST_FILES  = $(shell find dist/test -name '*.test.js' 2>/dev/null | sort)

.PHONY: all bpf native ts test test-unit lint typecheck format format-check clean

all: bpf native ts

$(VMLINUX):
	@mkdir -p $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BPF_OUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDR) $(VMLINUX)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

bpf: $(BPF_OBJ)

native:
	npx node-gyp rebuild --nodedir=/usr --directory native --silent

ts:
	npx tsc -p tsconfig.json

typecheck:
	npx tsc -p tsconfig.json --noEmit

lint:
	npx eslint .

format:
	npx prettier --write --log-level warn .
	clang-format -i $(C_FILES)

format-check:
	npx prettier --check --log-level warn .
	clang-format --dry-run -Werror $(C_FILES)

# The whole suite: static checks, then unit, replay and live tests (live tests need root and
# BPF; with CI set they fail rather than skip when either is missing).
test: all lint format-check
	node --test --test-reporter=spec $(TEST_FILES)

clean:
	rm -rf $(BUILD) dist native/build
