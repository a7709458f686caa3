/**
 * A real PostgreSQL for tests, from Debian's binaries: `initdb` on a temp directory and `pg_ctl`
 * to start and stop it, on a loopback ephemeral port with trust authentication (the server is the
 * test's own, reachable from loopback only). PostgreSQL refuses to run as root: as root the server
 * runs as the `postgres` user (created by the package) in a directory it owns.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort, waitForListen } from '../outputs/support/ports.js';

/** Debian's newest PostgreSQL binaries, e.g. /usr/lib/postgresql/15/bin. */
export function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0], 'bin') : undefined;
}

/** Fails in CI, skips elsewhere, when PostgreSQL's server binaries are missing. */
export function postgresMissing(): boolean {
  if (postgresBin() !== undefined) return false;
  if (process.env.CI) throw new Error('PostgreSQL missing (scripts/install-deps.sh installs postgresql)');
  return true;
}

export class TestPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(tool: string, args: string[]): void {
    const cmd = join(this.bin, tool);
    const asRoot = process.getuid?.() === 0;
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'], cwd: this.dir });
  }

  /** initdb in `<dir>/data` and start on a free port. */
  static async start(dir: string): Promise<TestPostgres> {
    const bin = postgresBin();
    if (bin === undefined) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
    mkdirSync(dir, { recursive: true });
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(dir, uid, gid);
      // The test's temp directory (0700, root's) must let the server's user reach its own.
      chmodSync(dirname(dir), 0o711);
    }
    const pg = new TestPostgres(dir, await freePort(), bin);
    pg.run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await pg.startServer();
    return pg;
  }

  /** Starts the server (again, on the same port and data). */
  async startServer(): Promise<void> {
    const opts = `-p ${this.port} -k ${this.dir} -h 127.0.0.1 -c fsync=off -c max_connections=50`;
    this.run('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'log'),
      '-o',
      opts,
      '-w',
      'start',
    ]);
    await waitForListen(this.port);
  }

  /** A fast shutdown: clients are disconnected. */
  stop(): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }
}
