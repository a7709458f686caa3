/** Debian's Chromium for the console's tests (driven by playwright-core, no browser download). */
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Fails in CI, skips elsewhere, when Debian's chromium is missing. */
export function chromiumMissing(): boolean {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI) throw new Error(`${CHROMIUM} missing (scripts/install-deps.sh installs chromium)`);
  return true;
}
