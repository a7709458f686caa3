/** Default locations, in one place. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_CONFIG_PATH = '/etc/vigil/vigil.yaml';

let root: string | null = null;

/** The directory holding vigil's package.json (the repository, or /opt/vigil in the image). */
export function packageRoot(): string {
  if (root !== null) return root;
  // From src/config or dist/src/config, walk up: the depth differs between tsx and compiled runs.
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'vigil'
    ) {
      return (root = dir);
    }
    if (dirname(dir) === dir) throw new Error('cannot find the vigil package root above ' + import.meta.url);
  }
}

/** The ruleset shipped with vigil. */
export function bundledRulesDir(): string {
  return join(packageRoot(), 'rules');
}
