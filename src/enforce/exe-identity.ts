/**
 * enforcement.allow.exe by identity: each configured path is resolved once, at start and in the
 * agent's mount namespace, to the file it names, (st_dev, st_ino); an event's process is allowed
 * when its executable is that file (exe_dev, exe_ino of its exec), wherever the process sees it.
 * A copy of the binary, a chroot's `/sbin/init` or a file renamed over the path later is another
 * file: not allowed. A hard link is the same file: allowed. The kernel checks the same identities
 * (vg_enf_allow_exe, written from these by PolicyMaps.writeAllow).
 */
import { statSync } from 'node:fs';
import type { ProcessInfo } from '../event/types.js';

export interface ExeIdentity {
  /** The configured path it was resolved from. */
  path: string;
  /** st_dev as stat(2) gives it (the kernel's new_encode_dev), and st_ino. */
  dev: number;
  ino: bigint;
}

export class ExeAllowList {
  private readonly byKey = new Map<string, ExeIdentity>();

  private constructor(
    readonly identities: readonly ExeIdentity[],
    /** Configured paths that did not exist at start (they allow nothing). */
    readonly missing: readonly string[],
  ) {
    for (const id of identities) this.byKey.set(`${id.dev}:${id.ino}`, id);
  }

  /** Resolves the paths now; a missing one is listed in `missing`. */
  static resolve(paths: readonly string[]): ExeAllowList {
    const ids: ExeIdentity[] = [];
    const missing: string[] = [];
    for (const path of paths) {
      try {
        const st = statSync(path, { bigint: true });
        ids.push({ path, dev: Number(st.dev), ino: st.ino });
      } catch {
        missing.push(path);
      }
    }
    return new ExeAllowList(ids, missing);
  }

  /**
   * The allowed entry the process's executable is, or undefined. A process whose executable's
   * identity is not known (an event recorded before vigil carried exe_dev) matches nothing.
   */
  match(proc: Pick<ProcessInfo, 'exe_dev' | 'exe_ino'>): ExeIdentity | undefined {
    if (proc.exe_dev === undefined || proc.exe_ino === 0) return undefined;
    return this.byKey.get(`${proc.exe_dev}:${BigInt(proc.exe_ino)}`);
  }
}
