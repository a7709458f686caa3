/**
 * /proc/PID/mountinfo, parsed (proc(5)): one entry per mount of the process's mount namespace.
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   id parent dev root mountpoint options [optional fields...] - fstype source superoptions
 */

export interface MountinfoEntry {
  /** major:minor of the filesystem (st_dev of its files). */
  dev: string;
  /** The directory of the filesystem this mount shows (`/` for a whole filesystem, a subdirectory for a bind). */
  root: string;
  /** Where it is mounted, in this namespace. */
  mountPoint: string;
  /** Per-mount options (`rw,nosuid,relatime`). */
  options: string;
  /** Optional fields: `shared:N`, `master:N`, `propagate_from:N`, `unbindable`. */
  optional: string[];
  fsType: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescape(s: string): string {
  return s.includes('\\')
    ? s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)))
    : s;
}

/** The entries of a mountinfo text; malformed lines are left out. */
export function parseMountinfo(text: string, max = Infinity): MountinfoEntry[] {
  const out: MountinfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (out.length >= max) break;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0) continue;
    out.push({
      dev: f[2],
      root: unescape(f[3]),
      mountPoint: unescape(f[4]),
      options: f[5],
      optional: f.slice(6, sep),
      fsType: f[sep + 1] ?? '',
    });
  }
  return out;
}

/** Falco's propagation names from the optional fields: shared, slave or private. */
export function propagationOf(optional: readonly string[]): string {
  if (optional.some((o) => o.startsWith('master:'))) return 'slave';
  if (optional.some((o) => o.startsWith('shared:'))) return 'shared';
  return 'private';
}
