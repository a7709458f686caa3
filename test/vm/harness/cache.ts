/**
 * Where the harness keeps downloaded kernels and built initramfs images: outside the repository
 * (they are large and machine-specific) and shared by every checkout on the machine.
 * VIGIL_VM_CACHE overrides the default, e.g. to measure a cold cache.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_CACHE_DIR = '/var/cache/vigil-vm';

export function cacheDir(): string {
  const dir = process.env.VIGIL_VM_CACHE || DEFAULT_CACHE_DIR;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A fresh directory inside the cache, for work that ends with a rename into place: concurrent runs
 * never see a half-written entry (rename within one file system is atomic).
 */
export function cacheScratch(prefix: string): string {
  const dir = join(cacheDir(), 'tmp');
  mkdirSync(dir, { recursive: true });
  return mkdtempSync(join(dir, `${prefix}-`));
}
