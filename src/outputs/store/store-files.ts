/**
 * The alert store holds every command line and environment the agent alerted on: only the agent's
 * user (root) may read it. Missing directories are created 0700 and the database 0600 (SQLite
 * gives its -wal and -shm files the database's mode). Existing files found looser are tightened
 * and chowned to the agent's user; the directory too when it holds only the store's files, never
 * a shared one (/var/lib, /tmp), which is reported instead.
 */
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { basename, dirname } from 'node:path';

/** What was changed or should be: one sentence per path, for the log. */
export interface StoreFilesReport {
  tightened: string[];
  warnings: string[];
}

const SIDE_FILES = ['-wal', '-shm', '-journal'];
/** The agent keeps its generated metrics token beside the store (src/ops/metrics-token.ts). */
const TOKEN_FILE = 'metrics.token';

export function secureStoreFiles(path: string): StoreFilesReport {
  const report: StoreFilesReport = { tightened: [], warnings: [] };
  const dir = dirname(path);
  const dirExisted = existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'wx', 0o600));
  for (const f of [path, ...SIDE_FILES.map((s) => path + s)]) {
    if (existsSync(f)) tighten(f, 0o600, report);
  }
  if (!dirExisted) return report;
  if (ownsOnlyStoreFiles(dir, basename(path))) tighten(dir, 0o700, report);
  else if ((statSync(dir).mode & 0o077) !== 0) {
    report.warnings.push(
      `${dir} is shared with other files and open to other users: the store files are 0600, ` +
        'but give the store a directory of its own',
    );
  }
  return report;
}

/** Clears group and other bits and gives the file to the agent's user (when root). */
function tighten(p: string, mode: number, report: StoreFilesReport): void {
  const st = statSync(p);
  const euid = process.geteuid?.() ?? st.uid;
  const egid = process.getegid?.() ?? st.gid;
  if (euid === 0 && (st.uid !== 0 || st.gid !== egid)) {
    chownSync(p, 0, egid);
    report.tightened.push(`${p}: owner ${st.uid}:${st.gid} -> 0:${egid}`);
  }
  if ((st.mode & 0o777) !== mode && (st.mode & 0o077) !== 0) {
    chmodSync(p, mode);
    report.tightened.push(`${p}: mode ${(st.mode & 0o777).toString(8)} -> ${mode.toString(8)}`);
  }
}

function ownsOnlyStoreFiles(dir: string, db: string): boolean {
  const ours = new Set([db, ...SIDE_FILES.map((s) => db + s), TOKEN_FILE]);
  return readdirSync(dir).every((name) => ours.has(name) || name.startsWith(`${TOKEN_FILE}.`));
}
