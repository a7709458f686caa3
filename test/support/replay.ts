/**
 * `vigil replay` from this checkout (compiled, or the sources through tsx), optionally in a mount
 * namespace of its own whose /etc/hosts is a given file: how tests give a name (Falco's
 * kubernetes.default.svc.cluster.local) the address a cluster's resolver would, without touching
 * the host's /etc/hosts. Needs root for the namespace (unshare, mount).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import type { Alert } from '../../src/event/alert.js';

const here = dirname(fileURLToPath(import.meta.url));
const compiled = here.includes(join('dist', 'test'));
export const ROOT = resolve(here, compiled ? '../../..' : '../..');

/** argv (after node) that runs the vigil command from this checkout. */
export function vigilArgv(args: string[]): string[] {
  if (compiled) return [join(ROOT, 'bin/vigil.js'), ...args];
  const main = JSON.stringify(join(ROOT, 'src/cli/main.ts'));
  return ['--import', 'tsx', '-e', `import(${main}).then((m) => m.main(${JSON.stringify(args)}))`];
}

/** The alerts of `vigil replay eventsFile --rules rules...`, run with `hostsFile` as its /etc/hosts. */
export function replayWithHosts(hostsFile: string, eventsFile: string, rules: string[]): Alert[] {
  const args = ['replay', eventsFile, ...rules.flatMap((r) => ['--rules', r])];
  const before = readFileSync('/etc/hosts', 'utf8');
  // The paths go to the script as arguments ($1, "$@"), never into its text.
  const res = spawnSync(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      'mount --bind "$1" /etc/hosts && shift && exec "$@"',
      'sh',
      hostsFile,
      process.execPath,
      ...vigilArgv(args),
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json') },
    },
  );
  assert.equal(res.status, 0, res.stderr);
  assert.equal(readFileSync('/etc/hosts', 'utf8'), before, 'the host /etc/hosts is untouched');
  return res.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Alert);
}
