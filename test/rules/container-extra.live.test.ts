/**
 * Live: the rules of rules/82-container-extra.yaml fire for a stand-in container's workload (its own
 * Docker-named cgroup, pid and mount namespaces) and stay silent for the same command on the host.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { StandInContainer } from '../support/container.js';
import { ruleRunner, scratch, toolCopy } from './support.js';

const dir = scratch('container-extra');
after(() => rmSync(dir, { recursive: true, force: true }));

/** A rule, a command run in a fresh stand-in container (fires) and on the host (silent). */
const CASES: { rule: string; cmd: () => string[] }[] = [
  // -s: apt-get only simulates; nothing is installed.
  {
    rule: 'Package manager run in a container',
    cmd: () => ['/usr/bin/apt-get', '-s', 'install', 'coreutils'],
  },
  { rule: 'Network tool run in a container', cmd: () => [toolCopy(dir, 'ncat'), '-l', '4444'] },
  { rule: 'Remote file copy tool run in a container', cmd: () => ['/usr/bin/scp', '-V'] },
  {
    rule: 'File downloaded in a container',
    cmd: () => ['/usr/bin/curl', '-s', 'file:///etc/hostname', '-o', join(dir, 'fetched')],
  },
];

for (const c of CASES) {
  test(c.rule, async (t) => {
    const r = await ruleRunner(t);
    if (!r) return;
    const box = StandInContainer.create();
    try {
      await r.fires(c.rule, box.argv(c.cmd()), { 'container.id': box.id });
    } finally {
      box.remove();
    }
    await r.silent(c.rule, c.cmd());
  });
}
