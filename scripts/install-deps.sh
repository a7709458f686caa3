#!/usr/bin/env bash
# Installs the system packages vigil builds and runs with (Debian 12 / Ubuntu 22.04+), as root.
# Idempotent: does nothing when everything is already there. `--check`: only report what is missing.
set -euo pipefail
PKGS=(clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool clang-format make g++ python3 pkg-config
      rsyslog rsyslog-gnutls openssl qemu-system-x86 busybox-static xz-utils zstd strace
      liburing-dev  # test/rules/fixtures/open-routes.c: opens through io_uring
      containerd runc containernetworking-plugins  # the real-runtime tests (test/containers/)
      curl openssh-client iproute2  # the live rule tests: downloads, ssh/scp, ip netns (instance metadata)
      prometheus nats-server)  # prometheus: promtool (test/ops/metrics-lint.test.ts), no smaller package; nats-server: fleet tests
# vigil hub's tests: PostgreSQL's initdb and pg_ctl, the console in headless Chromium.
PKGS+=(postgresql chromium)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Ubuntu ships bpftool inside linux-tools; accept any bpftool on PATH.
if command -v bpftool >/dev/null 2>&1 || [ -x /usr/sbin/bpftool ]; then
  missing=("${missing[@]/bpftool}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
# --check: report what is missing and install nothing (scripts/quickstart.sh --check uses it).
if [ "${1:-}" = "--check" ]; then
  if [ ${#missing[@]} -gt 0 ]; then
    echo "missing packages: ${missing[*]} (run scripts/install-deps.sh as root)" >&2
    exit 1
  fi
  exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
