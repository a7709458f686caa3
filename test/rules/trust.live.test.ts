/**
 * Live: how the bundled rules trust a program (rules/00-macros.yaml, proc_name_vouched and
 * os_package_mgmt_ancestor). A name in a trusted list counts only when the kernel vouches for it:
 * a Python or shell script in a system directory through its interpreter, a package manager as an
 * ancestor; the same script or binary copied to /tmp, or a process renamed with prctl, is not
 * trusted.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PY, atRealPath, rand, ruleRunner, scratch, type Outcome } from './support.js';

const dir = scratch('trust');
after(() => rmSync(dir, { recursive: true, force: true }));

const REPO_RULE = 'Package repository or signing key added';
const TOUCH_RULE = 'Timestamps copied or forged with touch';
/** unattended-upgrade is a Python script: its exepath is python3's, its name the script's (cut to 15). */
const PY_WRITER = `#!${PY}\nimport sys\nopen(sys.argv[1], 'w').write('# vigil test\\n')\n`;
/** A #! line with an option: the script's path is the interpreter's second argument. */
const SH_WRITER = '#!/bin/sh -e\necho \'# vigil test\' > "$1"\n';

function install(path: string, text: string): string {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

/** A benign twin proves nothing unless it ran: exit 0, and `name` made an event. */
function ran(out: Outcome, name: string): void {
  assert.equal(out.result.code, 0, out.result.stderr);
  assert.ok(
    out.events.some((e) => e.proc.name === name),
    `no event of ${name}: ${[...new Set(out.events.map((e) => e.proc.name))].join(' ')}`,
  );
}

/** Runs fn with a new APT source list path, removed afterwards. */
const withSourceList = <T>(fn: (list: string) => Promise<T>): Promise<T> =>
  atRealPath(`/etc/apt/sources.list.d/vigil-test-${rand()}.list`, fn);

for (const [kind, text] of [
  ['Python', PY_WRITER],
  ['shell (#! with an option)', SH_WRITER],
] as const) {
  test(`trusted ${kind} script vouched through its interpreter; its copy in /tmp is not`, async (t) => {
    const r = await ruleRunner(t);
    if (!r) return;
    await atRealPath('/usr/local/bin/unattended-upgrade', async (script) => {
      install(script, text);
      const out = await withSourceList((list) => r.silent(REPO_RULE, [script, list]));
      ran(out, 'unattended-upgr');
    });
    const copy = install(join(dir, 'unattended-upgrade'), text);
    await withSourceList((list) =>
      r.fires(REPO_RULE, [copy, list], { 'proc.name': 'unattended-upgr', 'fd.name': list }),
    );
  });
}

test('a process renamed with prctl is not trusted', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const rename =
    'import ctypes, sys; ctypes.CDLL(None).prctl(15, b"unattended-upgr", 0, 0, 0); ' +
    "open(sys.argv[1], 'w').write('# vigil test\\n')";
  await withSourceList((list) =>
    r.fires(REPO_RULE, [PY, '-c', rename, list], { 'proc.name': 'python3', 'fd.name': list }),
  );
});

test('a package manager ancestor is vouched by its executable; a copy of it is not', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const file = install(join(dir, 'stamped'), '');
  // dpkg runs its --pre-invoke hook with sh -c: touch's grandparent is dpkg. With nothing to
  // configure, `--configure -a` changes nothing.
  const hook = (dpkg: string): string[] => [
    dpkg,
    `--pre-invoke=/usr/bin/touch -d 2011-03-04 ${file}`,
    '--configure',
    '-a',
  ];
  ran(await r.silent(TOUCH_RULE, hook('/usr/bin/dpkg')), 'touch');
  const copy = join(dir, 'dpkg');
  copyFileSync('/usr/bin/dpkg', copy);
  chmodSync(copy, 0o755);
  await r.fires(TOUCH_RULE, hook(copy), { 'proc.pname': 'sh' });
});
