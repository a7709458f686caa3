/**
 * uid/gid -> user and group names (with home directory and shell) from
 * /etc/passwd and /etc/group. The files are re-read when they change: fs.watch
 * on their directory marks them stale (tools replace them by rename, which a
 * watch on the file itself would miss), and a periodic stat check covers
 * filesystems where watching does not work. Lookups never touch the disk unless
 * a change was seen.
 */
import { type FSWatcher, readFileSync, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface UserEntry {
  readonly name: string;
  readonly homedir: string;
  readonly shell: string;
}

/** What Falco shows for a user or group it cannot name. */
export const NA = '<NA>';
const UNKNOWN_USER: UserEntry = Object.freeze({ name: NA, homedir: NA, shell: NA });

/** Lines read from each file at most: a bound on memory for a hostile or huge file. */
const MAX_ENTRIES = 200_000;
const MAX_BYTES = 64 * 1024 * 1024;

export interface UserDbOptions {
  passwd?: string;
  group?: string;
  /** How often to stat the files in case fs.watch missed a change (ms); 0 = never. */
  statIntervalMs?: number;
}

export class UserDb {
  private users = new Map<number, UserEntry>();
  private groups = new Map<number, string>();
  private stale = true;
  private signature = '';
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Bumped on every reload, so callers can drop what they derived from the old tables. */
  generation = 0;
  readonly passwdPath: string;
  readonly groupPath: string;

  constructor(opts: UserDbOptions = {}) {
    this.passwdPath = opts.passwd ?? '/etc/passwd';
    this.groupPath = opts.group ?? '/etc/group';
    const names = new Set([basename(this.passwdPath), basename(this.groupPath)]);
    for (const dir of new Set([dirname(this.passwdPath), dirname(this.groupPath)])) {
      try {
        const w = watch(dir, { persistent: false }, (_event, file) => {
          if (file === null || names.has(file.toString())) this.stale = true;
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // No inotify here: the stat check below still notices changes.
      }
    }
    const every = opts.statIntervalMs ?? 5000;
    if (every > 0) {
      this.timer = setInterval(() => {
        if (this.fileSignature() !== this.signature) this.stale = true;
      }, every);
      this.timer.unref();
    }
  }

  user(uid: number): UserEntry {
    if (this.stale) this.reload();
    return this.users.get(uid) ?? UNKNOWN_USER;
  }

  /** The user's name, or Falco's `<NA>`. */
  userName(uid: number): string {
    return this.user(uid).name;
  }

  groupName(gid: number): string {
    if (this.stale) this.reload();
    return this.groups.get(gid) ?? NA;
  }

  /** Re-read both files now (also what a lookup does after a change was noticed). */
  reload(): void {
    this.stale = false;
    this.signature = this.fileSignature();
    const users = new Map<number, UserEntry>();
    for (const f of readColonFile(this.passwdPath)) {
      // name:passwd:uid:gid:gecos:home:shell
      const uid = Number(f[2]);
      if (f.length >= 7 && Number.isInteger(uid) && !users.has(uid)) {
        users.set(uid, Object.freeze({ name: f[0], homedir: f[5], shell: f[6] }));
      }
    }
    const groups = new Map<number, string>();
    for (const f of readColonFile(this.groupPath)) {
      // name:passwd:gid:members
      const gid = Number(f[2]);
      if (f.length >= 3 && Number.isInteger(gid) && !groups.has(gid)) groups.set(gid, f[0]);
    }
    this.users = users;
    this.groups = groups;
    this.generation++;
  }

  close(): void {
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    if (this.timer) clearInterval(this.timer);
  }

  private fileSignature(): string {
    return [this.passwdPath, this.groupPath]
      .map((p) => {
        try {
          const s = statSync(p);
          return `${s.ino}:${s.size}:${s.mtimeMs}`;
        } catch {
          return '-';
        }
      })
      .join('|');
  }
}

function readColonFile(path: string): string[][] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  if (text.length > MAX_BYTES) text = text.slice(0, MAX_BYTES);
  const out: string[][] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    out.push(line.split(':'));
    if (out.length >= MAX_ENTRIES) break;
  }
  return out;
}
