/**
 * The bearer token of /metrics and /status. A configured `metrics.token` is used as is; when it is
 * empty the agent generates one on its first start (32 random bytes, base64url) and keeps it in
 * `metrics.token` beside the alert store, mode 0600 in a 0700 directory, so that later starts, and
 * a local scraper that reads the file as root, use the same one.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export const TOKEN_FILE = 'metrics.token';

export interface MetricsToken {
  token: string;
  /** Where it was read from or written to; undefined: from the configuration. */
  file?: string;
  /** What happened to the file: 'generated', 'read', or 'tightened' (read, its mode made 0600). */
  source: 'config' | 'generated' | 'read' | 'tightened';
}

/**
 * The token in force: the configured one, else the file's in `dir`, else a new one written there.
 * `name`: the file's name (the hub keeps its API token as `hub.token`).
 */
export function metricsToken(configured: string | undefined, dir: string, name = TOKEN_FILE): MetricsToken {
  if (configured) return { token: configured, source: 'config' };
  const file = join(dir, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (existsSync(file)) return readToken(file);
  // Written whole under another name, then linked into place: a crash never leaves a partial
  // token, and two agents starting at once end up with the same one (link fails if it exists).
  const token = randomBytes(32).toString('base64url');
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, token + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readToken(file);
  } finally {
    unlinkSync(tmp);
  }
  return { token, file, source: 'generated' };
}

function readToken(file: string): MetricsToken {
  const fd = openSync(file, 'r');
  let tightened = false;
  try {
    // Nobody but the agent's user may read it: an existing file's group and other bits are cleared.
    if ((fstatSync(fd).mode & 0o077) !== 0) {
      chmodSync(file, 0o600);
      tightened = true;
    }
  } finally {
    closeSync(fd);
  }
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 16) throw new Error(`${file}: the token is shorter than 16 characters`);
  return { token, file, source: tightened ? 'tightened' : 'read' };
}
