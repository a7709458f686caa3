#!/usr/bin/env bash
# The README's first command. On a fresh Debian 12 / Ubuntu 22.04+ machine, as root, from a clone:
# installs what is missing (apt packages, npm dependencies), builds the BPF objects, the libbpf
# addon and the TypeScript, checks the kernel (`vigil doctor`), then runs vigil with the bundled
# rules and the SQLite alert store at its default path (/var/lib/vigil/alerts.db), printing
# alerts as they happen. Arguments after `--` go to `vigil run` (e.g. -- --json --enforce).
#
# --check: install, build and run nothing; verify that everything is installed and built and
# that the kernel can run vigil. Exit 1 naming what is missing. CI runs this mode.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=run
RUN_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --check) MODE=check ;;
    --) shift; RUN_ARGS=("$@"); break ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "quickstart: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

NODE_MIN=20.19
problems=()
step() { printf '==> %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
problem() { printf '    MISSING: %s\n' "$*" >&2; problems+=("$1"); }

if [ "$(id -u)" != 0 ]; then
  echo "quickstart: run as root (vigil loads BPF programs; installing packages needs root too)" >&2
  exit 1
fi

step "system packages (scripts/install-deps.sh)"
if [ "$MODE" = check ]; then
  if scripts/install-deps.sh --check; then ok "all installed"; else problem "system packages"; fi
else
  scripts/install-deps.sh
  ok "all installed"
fi

step "Node.js >= $NODE_MIN"
if ! command -v node >/dev/null 2>&1; then
  # Debian 12 and Ubuntu ship an older Node in apt: say where to get 20, do not guess.
  echo "quickstart: Node.js $NODE_MIN+ is not installed; install Node 20 (https://nodejs.org or your" \
    "distribution's nodejs 20 packages) and run this again" >&2
  exit 1
fi
node_version=$(node -p 'process.versions.node')
if ! node -e "const [a,b]=process.versions.node.split('.').map(Number);const [x,y]='$NODE_MIN'.split('.').map(Number);process.exit(a>x||(a===x&&b>=y)?0:1)"; then
  echo "quickstart: Node.js $node_version is too old: vigil needs $NODE_MIN or newer" >&2
  exit 1
fi
ok "node $node_version"

step "npm dependencies"
# node_modules/.package-lock.json is npm's record of what it installed: older than the lock file
# (or missing) means the tree is out of date.
deps_current() { [ -f node_modules/.package-lock.json ] && ! [ package-lock.json -nt node_modules/.package-lock.json ]; }
if deps_current && npm ls --depth=0 >/dev/null 2>&1; then
  ok "node_modules matches package-lock.json"
elif [ "$MODE" = check ]; then
  problem "npm dependencies (run npm ci)"
else
  npm ci --no-audit --no-fund
  ok "installed"
fi

step "build: BPF objects, libbpf addon, TypeScript"
ts_current() {
  [ -f dist/src/cli/main.js ] && [ -z "$(find src -name '*.ts' -newer dist/src/cli/main.js -print -quit)" ]
}
# `make -n` prints the commands it would run: nothing means the BPF objects and the addon are current.
if [ -z "$(make -s -n bpf native 2>/dev/null)" ] && ts_current; then
  ok "up to date"
elif [ "$MODE" = check ]; then
  [ -z "$(make -s -n bpf native 2>/dev/null)" ] || problem "BPF objects or addon not built (run make)"
  ts_current || problem "TypeScript not built (run make ts)"
else
  make all
  ok "built"
fi

if [ ${#problems[@]} -gt 0 ]; then
  echo "quickstart --check: not ready: ${problems[*]}" >&2
  exit 1
fi

step "bundled rules are root's (a rule file is code that runs as root)"
# The agent's own check (src/config/trusted-file.ts), on every file under rules/.
if node --input-type=module -e "
  const { untrustedReason } = await import('./dist/src/config/index.js');
  const { readdirSync } = await import('node:fs');
  const bad = readdirSync('rules', { recursive: true }).filter((f) => /\.ya?ml\$/.test(f))
    .map((f) => untrustedReason('rules/' + f, 'rule file')).filter(Boolean);
  for (const r of bad) console.error('    ' + r);
  process.exit(bad.length ? 1 : 0);
"; then
  ok "rules/ can only be changed by root"
else
  echo "quickstart: vigil refuses rule files other users can change; a checkout made by another user:" \
    "chown -R root:root $(pwd) && chmod -R go-w $(pwd)" >&2
  exit 1
fi

step "kernel (vigil doctor)"
if ! node bin/vigil.js doctor; then
  echo "quickstart: vigil cannot run on this machine (see the FAIL lines above)" >&2
  exit 1
fi

if [ "$MODE" = check ]; then
  echo "quickstart --check: ready. Start vigil with: scripts/quickstart.sh"
  exit 0
fi

step "vigil run (bundled rules, alerts on stdout, store at the default path; Ctrl-C to stop)"
exec node bin/vigil.js run "${RUN_ARGS[@]}"
