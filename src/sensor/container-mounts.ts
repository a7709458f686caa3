/**
 * Container mounts (Falco's container.mount* fields), read from the mount namespace of a process
 * of the container: /proc/PID/mountinfo, compared with the host's (/proc/1/mountinfo).
 *
 * A container mount is one of the namespace's mounts that the host does not have at the same
 * place (a namespace copied from the host's, as `unshare -m` makes, shows the host's mounts too),
 * of a filesystem the host has mounted: its source is the host path, the mount's root within the
 * filesystem joined to where the host mounts that filesystem. Filesystems of the container's own
 * (its procfs, tmpfs, devpts) have no host path and are left out, and so is the container's root
 * filesystem, as Docker's list of mounts leaves it out.
 *
 * Bounded: at most MAX_BYTES of a mountinfo and MAX_MOUNTS entries are read; results are kept per
 * mount namespace (at most MAX_NAMESPACES) for TTL_MS, the host's table for as long; an exec reads
 * its namespace's again.
 */
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import type { ContainerMount } from '../event/types.js';
import { parseMountinfo, propagationOf, type MountinfoEntry } from '../kernel/mountinfo.js';

const MAX_BYTES = 1 << 20;
const MAX_MOUNTS = 4096;
const MAX_NAMESPACES = 512;
const TTL_MS = 1000;

export interface ContainerMountsOptions {
  /** Where procfs is (tests): default /proc. */
  proc?: string;
  /** The process whose mounts are the host's: default 1. */
  hostPid?: number;
  now?: () => number;
}

export class ContainerMounts {
  private readonly byNs = new Map<string, { at: number; mounts: ContainerMount[] }>();
  private host: { at: number; entries: MountinfoEntry[] } | undefined;
  private readonly proc: string;
  private readonly hostPid: number;
  private readonly now: () => number;

  constructor(opts: ContainerMountsOptions = {}) {
    this.proc = opts.proc ?? '/proc';
    this.hostPid = opts.hostPid ?? 1;
    this.now = opts.now ?? Date.now;
  }

  /**
   * The mounts of the container `pid` runs in; undefined when they cannot be read (it exited).
   * `fresh` reads them again whatever the cache holds: at an exec, as a runtime sets a container's
   * mounts up in its namespace just before it execs the entrypoint.
   */
  of(pid: number, fresh = false): ContainerMount[] | undefined {
    let ns: string;
    try {
      ns = readlinkSync(`${this.proc}/${pid}/ns/mnt`);
    } catch {
      return undefined;
    }
    const t = this.now();
    const hit = this.byNs.get(ns);
    if (hit !== undefined && !fresh && t - hit.at < TTL_MS) return hit.mounts;
    const text = readBounded(`${this.proc}/${pid}/mountinfo`);
    if (text === undefined) return undefined;
    const mounts = containerMounts(parseMountinfo(text, MAX_MOUNTS), this.hostEntries(t));
    if (hit === undefined && this.byNs.size >= MAX_NAMESPACES) this.byNs.clear();
    this.byNs.set(ns, { at: t, mounts });
    return mounts;
  }

  private hostEntries(t: number): MountinfoEntry[] {
    if (this.host === undefined || t - this.host.at >= TTL_MS) {
      const text = readBounded(`${this.proc}/${this.hostPid}/mountinfo`) ?? '';
      this.host = { at: t, entries: parseMountinfo(text, MAX_MOUNTS) };
    }
    return this.host.entries;
  }
}

/** The container's mounts among `inner` (its namespace's), given the host's. */
export function containerMounts(
  inner: readonly MountinfoEntry[],
  host: readonly MountinfoEntry[],
): ContainerMount[] {
  const hostHas = new Set(host.map(placeKey));
  const out: ContainerMount[] = [];
  for (const m of inner) {
    if (hostHas.has(placeKey(m))) continue;
    const source = hostPathOf(m, host);
    if (source === undefined || (m.mountPoint === '/' && source !== '/')) continue;
    out.push({
      source,
      dest: m.mountPoint,
      mode: m.options,
      rdwr: !m.options.split(',').includes('ro'),
      propagation: propagationOf(m.optional),
    });
  }
  return out;
}

const placeKey = (m: MountinfoEntry): string => `${m.dev}\0${m.root}\0${m.mountPoint}`;

/** Where the host shows m's root: the host mount of the same filesystem whose root holds it most closely. */
function hostPathOf(m: MountinfoEntry, host: readonly MountinfoEntry[]): string | undefined {
  let best: MountinfoEntry | undefined;
  for (const h of host) {
    if (h.dev !== m.dev || !within(m.root, h.root)) continue;
    if (best === undefined || h.root.length > best.root.length) best = h;
  }
  if (best === undefined) return undefined;
  const rest = best.root === '/' ? m.root : m.root.slice(best.root.length);
  const path = posix.join(best.mountPoint, rest);
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

const within = (p: string, dir: string): boolean =>
  dir === '/' || p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/');

/** A file's first MAX_BYTES as text; undefined when it cannot be read. */
function readBounded(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.allocUnsafe(MAX_BYTES);
    let n = 0;
    for (let got = -1; got !== 0 && n < MAX_BYTES; n += got) got = readSync(fd, buf, n, MAX_BYTES - n, null);
    return buf.toString('utf8', 0, n);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
