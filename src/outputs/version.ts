/** vigil's version, from package.json (found from both src/ under tsx and dist/src/ when built). */
import { existsSync, readFileSync } from 'node:fs';

function readVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'vigil' && pkg.version) return pkg.version;
  }
  return '0.0.0';
}

export const VIGIL_VERSION = readVersion();
