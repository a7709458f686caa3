/**
 * Files by identity: the exact paths the rules name (`fd.name = /etc/shadow`, `fd.name in
 * (shadow_files)`), each known by the device and inode of the file at that path now. A hard link
 * under another name, a bind mount, a symlink or a file handle reach the same inode: the kernel
 * reports such an open whatever path it went through (the `vg_of_ident` map of the open
 * prefilter, bpf/tracepoints/vg_open_filter.h), and the decoder names it by the rules' path
 * (fd.name), keeping the path the caller passed in fd.nameraw.
 *
 * The directories the rules' prefixes name (`fd.name startswith /etc/`) are known the same way:
 * the kernel reports an open of a file below one of them (its dentry's parents) whatever path
 * reached it. They name nothing: the real path already goes through symlinks and bind mounts.
 *
 * A file at one of these paths can be replaced (passwd and editors write a new file and rename
 * it over the old one): `refresh()` stats the paths again, and the sensor calls it on a timer.
 */
import { statSync } from 'node:fs';
import type { FlagNeed } from './open-filter-plan.js';

/** At most this many identities (the kernel map's max_entries). */
export const MAX_IDENTITIES = 4096;

export interface FileIdentity {
  dev: number;
  ino: number;
  path: string;
  need: FlagNeed;
  /** A directory a prefix names (else an exact file). */
  dir: boolean;
}

type Stat = (path: string) => { dev: number; ino: number; dir?: boolean } | null;

/** The identity key as a string: dev and ino can each need more than 32 bits. */
const keyOf = (dev: number, ino: number): string => `${dev}:${ino}`;

export class FileIdentities {
  private paths: [string, FlagNeed, boolean][] = [];
  private byKey = new Map<string, FileIdentity>();
  /** Inodes of the files (not directories): the decoder's first, allocation-free test. */
  private inodes = new Set<number>();

  constructor(private readonly stat: Stat = statPath) {}

  /**
   * The paths to know by identity, with what an open of them must look like: exact files, and
   * directories (a prefix's path without its trailing '/'). Only absolute paths.
   */
  setPaths(files: ReadonlyMap<string, FlagNeed>, dirs: ReadonlyMap<string, FlagNeed> = new Map()): void {
    const all: [string, FlagNeed, boolean][] = [
      ...[...files].map(([p, n]): [string, FlagNeed, boolean] => [p, n, false]),
      ...[...dirs].map(([p, n]): [string, FlagNeed, boolean] => [p, n, true]),
    ];
    this.paths = all.filter(([p]) => p.startsWith('/')).slice(0, MAX_IDENTITIES);
    this.refresh();
  }

  /** Stats every path again; true when an identity appeared, went or changed. */
  refresh(): boolean {
    const next = new Map<string, FileIdentity>();
    for (const [path, need, dir] of this.paths) {
      const st = this.stat(path);
      // A prefix names a directory, an exact path a file: anything else is no identity of theirs.
      if (st === null || (st.dir ?? false) !== dir) continue;
      const key = keyOf(st.dev, st.ino);
      // Two rule paths of one file (a hard link both name): the first names it.
      if (!next.has(key)) next.set(key, { dev: st.dev, ino: st.ino, path, need, dir });
    }
    const changed =
      next.size !== this.byKey.size ||
      [...next].some(([k, v]) => this.byKey.get(k)?.path !== v.path || this.byKey.get(k)?.need !== v.need);
    this.byKey = next;
    this.inodes = new Set([...next.values()].filter((i) => !i.dir).map((i) => i.ino));
    return changed;
  }

  /** The rules' path of the file (dev, ino), or undefined when it is none of theirs. */
  nameOf(dev: number, ino: number): string | undefined {
    if (!this.inodes.has(ino)) return undefined;
    const id = this.byKey.get(keyOf(dev, ino));
    return id?.dir === false ? id.path : undefined;
  }

  list(): FileIdentity[] {
    return [...this.byKey.values()];
  }
}

/** dev and ino of what is at path now (symlinks followed, as an open follows them), or null. */
function statPath(path: string): { dev: number; ino: number; dir: boolean } | null {
  try {
    const st = statSync(path, { bigint: true });
    return { dev: Number(st.dev), ino: Number(st.ino), dir: st.isDirectory() };
  } catch {
    return null;
  }
}
