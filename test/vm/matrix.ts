/**
 * `npm run test:vm` (`make test-vm`): the VM part of the kernel matrix (the host kernel's part is
 * `make test`). Checks the harness itself once, then boots each guest kernel once and runs the
 * compiled guest suite, dist/test/vm/guest/*.test.js, in it with node --test; the guest's output
 * is streamed with the kernel as prefix. Run as a plain script with node:test's spec reporter
 * (not `node --test`), so its name keeps `make test` from picking it up.
 *
 * VIGIL_VM_KERNELS=6.12 (comma-separated) narrows the matrix; VIGIL_VM_CACHE moves the cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../../src/config/paths.js';
import { runInVm } from './harness/vm.js';

export const KERNELS = (process.env.VIGIL_VM_KERNELS ?? '6.1,6.12').split(',').filter(Boolean);
/** A guest suite takes 45-95 s here under load; a hung guest must not hold CI for long. */
const SUITE_TIMEOUT_MS = 5 * 60_000;

/** Writes complete lines of a stream with a prefix. */
function prefixed(prefix: string, write: (text: string) => void): { push(chunk: string): void; end(): void } {
  let partial = '';
  return {
    push(chunk) {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) write(`${prefix}${line}\n`);
    },
    end() {
      if (partial) write(`${prefix}${partial}\n`);
      partial = '';
    },
  };
}

/** What the guest suite reads from the host's build; the guest sees it live, so build first. */
const BUILT = [
  'native/build/Release/vigil_bpf.node',
  'build/bpf/sensors.bpf.o',
  'build/bpf/doctor.bpf.o',
  'build/vm/lsm-deny.bpf.o',
];

function assertBuilt(): void {
  const missing = BUILT.filter((path) => !existsSync(join(packageRoot(), path)));
  assert.deepEqual(missing, [], 'build outputs the guest suite needs (make all)');
}

function guestTestFiles(): string[] {
  const dir = join(packageRoot(), 'dist', 'test', 'vm', 'guest');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => relative(packageRoot(), join(dir, f)));
}

test('harness: status and output come back, the repo is at its path, writes stay in the guest, timeouts kill', async () => {
  const kernel = KERNELS[0];
  const log = (line: string) => process.stderr.write(`[${kernel}] ${line}\n`);
  const probe = `/var/tmp/vigil-vm-write-probe-${process.pid}`;
  const result = await runInVm({
    kernel,
    log,
    command: [
      'sh',
      '-c',
      'printf "out %s\\n" "$1"; pwd; echo x >"$2" && echo wrote; echo err >&2; exit 7',
      'sh',
      `it's $HOME`,
      probe,
    ],
  });
  assert.equal(result.status, 7, result.console);
  assert.equal(result.stdout, `out it's $HOME\n${packageRoot()}\nwrote\n`);
  assert.equal(result.stderr, 'err\n');
  assert.equal(result.timedOut, false);
  assert.equal(existsSync(probe), false, 'a file the guest wrote must not appear on the host');

  const hung = await runInVm({ kernel, log, command: ['sleep', '600'], timeoutMs: 5_000 });
  assert.equal(hung.timedOut, true);
  assert.equal(hung.status, null);
});

for (const kernel of KERNELS) {
  test(`guest ${kernel}: the VM test suite passes`, async (t) => {
    assertBuilt();
    const files = guestTestFiles();
    assert.ok(files.length > 0, 'compiled guest tests in dist/test/vm/guest (make ts)');
    const out = prefixed(`[${kernel}] `, (text) => process.stdout.write(text));
    const err = prefixed(`[${kernel}] `, (text) => process.stderr.write(text));
    const result = await runInVm({
      kernel,
      command: ['node', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
      env: process.env.CI ? { CI: process.env.CI } : {},
      timeoutMs: SUITE_TIMEOUT_MS,
      onStdout: (chunk) => out.push(chunk),
      onStderr: (chunk) => err.push(chunk),
      log: (line) => process.stderr.write(`[${kernel}] ${line}\n`),
    });
    out.end();
    err.end();
    t.diagnostic(`${result.kernel.package} ${result.kernel.version}: ${result.durationMs} ms in the VM`);
    assert.equal(result.timedOut, false, `the guest suite ran over ${SUITE_TIMEOUT_MS / 1000} s`);
    assert.notEqual(result.status, null, `the guest never reported a status; console:\n${result.console}`);
    assert.equal(result.status, 0, 'the guest suite failed (its output is above)');
  });
}
