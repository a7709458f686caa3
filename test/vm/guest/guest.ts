/**
 * For the test files that run inside a test VM (test/vm/guest/*.test.ts, booted by
 * test/vm/matrix.ts). `make test` leaves them out; run by hand on the host, they skip: only the harness
 * sets VIGIL_VM_SERIES.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { packageRoot } from '../../../src/config/paths.js';

/** The guest kernel series ('6.1', '6.12'), or null outside a test VM. */
export const guestSeries: string | null = process.env.VIGIL_VM_SERIES ?? null;

/** Returns true inside a test VM; otherwise skips the test. */
export function requireGuest(t: TestContext): boolean {
  if (guestSeries !== null) return true;
  t.skip('runs inside a test VM: npm run test:vm');
  return false;
}

/** A path under the repository (the guest sees the host's checkout at the same place). */
export function repoPath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

/**
 * The kernel's dev_t (MKDEV: major << 20 | minor) of the file system holding `path`, from
 * stat's st_dev in glibc's encoding (major bits 8-19 and 44-63, minor bits 0-7 and 20-43).
 */
export function kernelDev(path: string): number {
  const dev = statSync(path, { bigint: true }).dev;
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return Number((major << 20n) | minor);
}
