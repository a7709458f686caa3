/**
 * vigil runs as root and a rule file is code that runs as root: a rule or
 * configuration file that another user can change is a way to root, or to blind
 * the detector. Such files are refused, and so are files whose directories
 * (up to /) let another user replace them.
 *
 * Trusted owners are root and the user vigil runs as. A group may write only
 * when it is root's group. A directory writable by others is accepted only
 * when it has the sticky bit and a trusted owner (/tmp): there, others cannot
 * rename or remove entries they do not own. Nothing on a read-only mount can
 * be changed whatever its mode (Kubernetes ConfigMap volumes are 0777 and ro).
 */
import { readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

export class UntrustedFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'UntrustedFileError';
  }
}

const S_ISVTX = 0o1000;

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

function trustedUids(): Set<number> {
  return new Set([0, process.geteuid?.() ?? 0]);
}

interface MountEntry {
  target: string;
  readOnly: boolean;
}

/** Mounts from /proc/self/mounts (octal escapes decoded). */
function mountTable(): MountEntry[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.length >= 4)
    .map((f) => ({
      target: f[1].replace(/\\(\d{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))),
      readOnly: f[3].split(',').includes('ro'),
    }));
}

/** Whether the innermost (last mounted) mount holding the real path `p` is read-only. */
function onReadOnlyMount(p: string, mounts: MountEntry[]): boolean {
  let found: MountEntry | undefined;
  for (const m of mounts) {
    if (p === m.target || p.startsWith(m.target === '/' ? '/' : m.target + '/')) {
      if (!found || m.target.length >= found.target.length) found = m;
    }
  }
  return found?.readOnly ?? false;
}

/** Why another user could change `st`, or null when nobody but a trusted owner can. */
function whoElseCanWrite(st: Stats, isDir: boolean, trusted: Set<number>, readOnly: boolean): string | null {
  const sticky = isDir && (st.mode & S_ISVTX) !== 0;
  if (!trusted.has(st.uid)) return `owned by uid ${st.uid}`;
  // Mode bits grant nothing through a read-only mount; the owner check above stays, because the
  // same directory may be mounted writable elsewhere, and its owner can write there.
  if (readOnly) return null;
  if (st.mode & 0o002 && !sticky) return 'writable by every user';
  if (st.mode & 0o020 && st.gid !== 0 && !sticky) return `writable by group ${st.gid}`;
  return null;
}

/**
 * Returns null when `path` (a file or directory) and every directory above it
 * can be changed only by root (or the user vigil runs as); otherwise the reason,
 * naming the offending path, its mode and owner.
 */
export function untrustedReason(path: string, what = 'file'): string | null {
  const trusted = trustedUids();
  const real = realpathSync(path);
  const mounts = mountTable();
  const shown = real === path ? path : `${path} -> ${real}`;
  // A symbolic link can be re-pointed by whoever can write the directory holding it: check both chains.
  for (const start of new Set([real, realpathSync(dirname(path))])) {
    for (let p = start; ;) {
      const st = statSync(p);
      const why = whoElseCanWrite(st, st.isDirectory(), trusted, onReadOnlyMount(p, mounts));
      if (why !== null) {
        const subject = p === real ? 'it is' : `a directory above it (${p}) is`;
        return (
          `refusing ${what} ${shown}: ${subject} ${why} (mode ${octal(st.mode)}, owner ${st.uid}:${st.gid}); ` +
          `it would let another user run code as root. Fix: chown root:root and chmod go-w ${p}`
        );
      }
      const up = dirname(p);
      if (up === p) break;
      p = up;
    }
  }
  return null;
}

/** Throws UntrustedFileError when `path` is not trusted (see untrustedReason). */
export function assertTrusted(path: string, what = 'file'): void {
  const reason = untrustedReason(path, what);
  if (reason !== null) throw new UntrustedFileError(path, reason);
}
