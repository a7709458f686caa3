/**
 * Gate for live tests (root + BPF on the real kernel). Outside CI a live test
 * skips with the reason; with CI set, a missing prerequisite fails the test:
 * a live test never skips silently where it is supposed to run.
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

export function liveUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'live tests need root';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'live tests need BTF (/sys/kernel/btf/vmlinux)';
  return null;
}

/** Returns true when the test may go on; otherwise skips it (or throws, in CI). */
export function requireLive(t: TestContext): boolean {
  const why = liveUnavailable();
  if (why === null) return true;
  if (process.env.CI) throw new Error(`${why}, and CI is set: live tests must run in CI`);
  t.skip(why);
  return false;
}
