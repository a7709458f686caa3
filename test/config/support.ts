/** Shared by the trusted-file tests: a temp directory holding a rules.yaml only root can write. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh directory and rules.yaml (mode 0644) in it, removed after the test. */
export function fixture(t: TestContext): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-trust-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, '- rule: x\n', { mode: 0o644 });
  return { dir, file };
}
