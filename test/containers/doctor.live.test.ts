/**
 * Live: `vigil doctor` on a host with a containerd (started by the test) reports its socket and
 * that it answers; with no runtime socket it says container metadata is limited to ids.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { Containerd, requireContainerd } from '../support/containerd.js';
import { vigilArgv } from '../support/replay.js';

interface Check {
  id: string;
  status: string;
  detail: string;
  meaning: string;
}

let dir = '';
let ctrd: Containerd | undefined;
after(async () => {
  await ctrd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function doctor(runtimesYaml: string): Check[] {
  const cfg = join(dir, `vigil-${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(cfg, `containers:\n  runtimes: ${runtimesYaml}\n`, { mode: 0o644 });
  const res = spawnSync(process.execPath, vigilArgv(['doctor', '--json', '--config', cfg]), {
    encoding: 'utf8',
  });
  assert.ok(res.status === 0 || res.status === 1, res.stderr);
  return (JSON.parse(res.stdout) as { checks: Check[] }).checks.filter((c) => c.id === 'container_runtime');
}

const ready = (t: TestContext): boolean => requireContainerd(t);

test('vigil doctor names a containerd that answers, and says when there is none', async (t) => {
  if (!ready(t)) return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-doctor-ctrd-'));
  ctrd = await Containerd.start();
  const found = doctor(`[{type: cri, socket: ${ctrd.socket}}]`);
  assert.equal(found.length, 1);
  assert.equal(found[0].status, 'ok');
  assert.match(found[0].detail, new RegExp(`^${ctrd.socket}: containerd \\S+ \\(CRI v1\\)$`));

  const none = doctor(`[{type: cri, socket: ${join(dir, 'absent.sock')}}]`);
  assert.deepEqual(
    none.map((c) => [c.status, c.meaning]),
    [['info', 'container metadata is limited to ids (and pods from the kubelet directories)']],
  );
});
