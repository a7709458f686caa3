# vigil build: BPF objects (clang, CO-RE), the libbpf addon (node-gyp), TypeScript (tsc).
# `make` builds everything; `make test` is the README's test command and what .ci/run calls.

CLANG      ?= clang
BPFTOOL    ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BUILD      := build
BPF_OUT    := $(BUILD)/bpf
VMLINUX    := $(BUILD)/vmlinux.h
BPF_HDR    := $(wildcard bpf/include/*.h bpf/enforce/*.h bpf/tracepoints/*.h)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -I$(BUILD) -Ibpf/include -I/usr/include/$(shell uname -m)-linux-gnu
C_FILES     = $(wildcard bpf/include/*.h bpf/enforce/*.h bpf/tracepoints/*.h bpf/*/*.c native/src/*.cc native/src/*.h scripts/*.c)
# Guest-only tests (dist/test/vm/guest) run inside the VMs of `make test-vm`, not here.
# The rule live files run in one process with one sensor (test/rules/shared-sensor.live.test.ts),
# but those in RULES_ALONE (its ALONE): they change the sensor or the host for their process.
RULES_ALONE = shadow-evasion
RULES_SHARED = $(filter-out $(patsubst %,dist/test/rules/%.live.test.js,shared-sensor $(RULES_ALONE)),\
               $(wildcard dist/test/rules/*.live.test.js))
TEST_FILES  = $(filter-out $(RULES_SHARED),\
              $(shell find dist/test -name '*.test.js' -not -path 'dist/test/vm/guest/*' 2>/dev/null | sort))

.PHONY: all bpf native ts test test-unit lint typecheck format format-check clean check

all: bpf native ts

$(VMLINUX):
	@mkdir -p $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

# Each directory of bpf/ becomes ONE object user space loads: its *.bpf.c files are compiled one
# by one into build/bpf/<dir>/ and linked by libbpf's static linker (bpftool gen object), so maps
# defined once are shared by every program of the object. A directory without sources is skipped.
# Its maps.bpf.c, if any, defines the maps the other files declare extern, and is linked first:
# libbpf 1.1's linker fails on an extern map met before its definition.
BPF_OBJ :=
define bpf_object
$(1)_ALL := $$(patsubst bpf/%.bpf.c,$(BPF_OUT)/%.bpf.o,$$(wildcard bpf/$(2)/*.bpf.c))
$(1)_PARTS := $$(strip $$(filter %/maps.bpf.o,$$($(1)_ALL)) $$(filter-out %/maps.bpf.o,$$($(1)_ALL)))
ifneq ($$($(1)_PARTS),)
BPF_OBJ += $(BPF_OUT)/$(1).bpf.o
$(BPF_OUT)/$(1).bpf.o: $$($(1)_PARTS)
	$$(BPFTOOL) gen object $$@ $$^
endif
endef
$(eval $(call bpf_object,sensors,tracepoints))
$(eval $(call bpf_object,lsm,lsm))
$(eval $(call bpf_object,cgroup,cgroup))
$(eval $(call bpf_object,doctor,doctor))

$(BPF_OUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDR) $(VMLINUX)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

bpf: $(BPF_OBJ)

# The addon is rebuilt only when its sources change (a node-gyp rebuild takes ~20 s here).
NATIVE_NODE := native/build/Release/vigil_bpf.node
native: $(NATIVE_NODE)
$(NATIVE_NODE): native/binding.gyp $(wildcard native/src/*.cc native/src/*.h)
	npx node-gyp rebuild --nodedir=/usr --directory native --silent

# Test fixtures: small BPF objects the addon tests load (test/fixtures/bpf/X.bpf.c -> build/test/).
TEST_BPF_OBJ := $(patsubst test/fixtures/bpf/%.bpf.c,$(BUILD)/test/%.bpf.o,$(wildcard test/fixtures/bpf/*.bpf.c))
C_FILES += $(wildcard test/fixtures/bpf/*.c)
.PHONY: test-bpf
all: test-bpf
test-bpf: $(TEST_BPF_OBJ)
$(BUILD)/test/%.bpf.o: test/fixtures/bpf/%.bpf.c $(VMLINUX)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

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

# The fast loop: the tests that need neither root, BPF nor the native addon, run from the
# TypeScript sources (no build, no lint). Left out by name: *.live.test.ts (root, BPF, the addon
# or built BPF objects) and *.slow.test.ts (real outages, or the vigil command run as a process
# again and again: many seconds each). `make test` runs them all.
UNIT_FILES = $(shell find test -name '*.test.ts' -not -name '*.live.test.ts' -not -name '*.slow.test.ts' -not -path 'test/vm/*' | sort)
test-unit:
	node --import tsx --test --test-concurrency=4 --test-reporter=spec $(UNIT_FILES)

# Everything CI runs: the host suite, then the kernel matrix in VMs (the README's test command).
check: test test-vm

clean:
	rm -rf $(BUILD) dist native/build

# The VM test suite (issue 9, test/vm/): Debian guest kernels under qemu TCG, each booted once to
# run dist/test/vm/guest/*.test.js. Kernels and initramfs images are cached outside the repository
# (/var/cache/vigil-vm; VIGIL_VM_CACHE overrides). Fixture objects: test/vm/fixtures -> build/vm/.
VM_FIXTURE_OBJ := $(patsubst test/vm/fixtures/%.bpf.c,$(BUILD)/vm/%.bpf.o,$(wildcard test/vm/fixtures/*.bpf.c))
C_FILES += $(wildcard test/vm/fixtures/*.c)
.PHONY: test-vm vm-fixtures
all: vm-fixtures
vm-fixtures: $(VM_FIXTURE_OBJ)
$(BUILD)/vm/%.bpf.o: test/vm/fixtures/%.bpf.c $(BPF_HDR) $(VMLINUX)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

test-vm: all
	node --test-reporter=spec dist/test/vm/matrix.js
