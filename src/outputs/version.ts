/**
 * vigil's version, from package.json, and the git commit it was built from when that is known
 * (found from both src/ under tsx and dist/src/ when built).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding vigil's package.json, if found. */
function packageRoot(): string | undefined {
  for (const rel of ['../../package.json', '../../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string };
    if (pkg.name === 'vigil') return dirname(fileURLToPath(url));
  }
  return undefined;
}

function readVersion(root: string | undefined): string {
  if (!root) return '0.0.0';
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** A file's text, trimmed; undefined when there is no such file (a directory included). */
const read = (file: string): string | undefined =>
  existsSync(file) && statSync(file).isFile() ? readFileSync(file, 'utf8').trim() : undefined;

/**
 * `$VIGIL_COMMIT` (set by an image build), else the checkout's HEAD read from `.git` (a directory,
 * or a worktree's `gitdir:` file), without running git. Undefined when neither is there.
 */
function readCommit(root: string | undefined): string | undefined {
  const fromEnv = process.env.VIGIL_COMMIT?.trim();
  if (fromEnv && /^[0-9a-f]{7,40}$/.test(fromEnv)) return fromEnv;
  if (!root) return undefined;
  try {
    let gitDir = join(root, '.git');
    const link = /^gitdir: (.+)$/m.exec(read(gitDir) ?? '');
    if (link) gitDir = link[1];
    const head = read(join(gitDir, 'HEAD'));
    if (!head) return undefined;
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref) return /^[0-9a-f]{40}$/.test(head) ? head : undefined;
    const common = join(gitDir, read(join(gitDir, 'commondir')) ?? '.');
    const loose = read(join(common, ref));
    if (loose) return loose;
    const packed = read(join(common, 'packed-refs')) ?? '';
    return packed
      .split('\n')
      .find((l) => l.endsWith(` ${ref}`))
      ?.slice(0, 40);
  } catch {
    return undefined;
  }
}

const root = packageRoot();
export const VIGIL_VERSION = readVersion(root);
export const VIGIL_COMMIT = readCommit(root);
