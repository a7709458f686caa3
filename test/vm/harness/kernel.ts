/**
 * Guest kernels: Debian's linux-image packages, downloaded with apt the first time a series is
 * asked for (never installed: unpacked with dpkg-deb) and cached outside the repository as
 * <cache>/kernels/<release>/ holding the uncompressed kernel, its config, modules.builtin and the
 * few module files the guest needs, decompressed. Later runs use the newest cached kernel of the
 * series without touching the network; VIGIL_VM_REFRESH=1 looks for a newer one.
 */
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { extractVmlinux, xzToFile } from './bzimage.js';
import { cacheDir, cacheScratch } from './cache.js';
import { moduleName } from './modules.js';
import { runTool } from './run-tool.js';

export interface GuestKernel {
  /** '6.1', '6.12' */
  series: string;
  /** What `uname -r` prints in the guest, e.g. '6.1.0-56-amd64'. */
  release: string;
  /** Debian package name and version, e.g. 'linux-image-6.1.0-56-amd64' '6.1.192-2'. */
  package: string;
  version: string;
  vmlinux: string;
  config: string;
  builtin: string;
  /** Decompressed module files, <name>.ko. */
  modulesDir: string;
}

type KernelRecord = Pick<GuestKernel, 'series' | 'release' | 'package' | 'version'>;

/**
 * Module directories the guest needs something from (virtio, 9p, netfs/fscache, overlayfs). tar
 * fails on a pattern that matches nothing, and fs/fscache is gone in 6.12, hence all of fs/.
 */
const EXTRACT_DIRS = ['drivers/virtio', 'net/9p', 'fs'];
const MODULE_DIRS = /^(drivers\/virtio|net\/9p|fs\/(9p|netfs|fscache|overlayfs))\//;

/** Orders kernel releases and package versions: digit runs compare as numbers. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    const na = Number(pa[i]);
    const nb = Number(pb[i]);
    if (i % 2 === 1) return na - nb;
    return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** The series of a generic amd64 kernel image package, or null for anything else (cloud, rt, meta). */
export function packageSeries(name: string): string | null {
  const m = /^linux-image-(\d+\.\d+)[.-][0-9a-z.+~-]*-amd64$/.exec(name);
  if (!m || /-(cloud|rt)-amd64$|-dbg|-unsigned/.test(name)) return null;
  return m[1];
}

/** The newest package of a series among apt's package names. */
export function newestPackage(names: string[], series: string): string | null {
  const matching = names.filter((name) => packageSeries(name) === series);
  return matching.sort(compareVersions).at(-1) ?? null;
}

function kernelsDir(): string {
  return join(cacheDir(), 'kernels');
}

function fromRecord(dir: string, record: KernelRecord): GuestKernel {
  return {
    ...record,
    vmlinux: join(dir, 'vmlinux'),
    config: join(dir, 'config'),
    builtin: join(dir, 'modules.builtin'),
    modulesDir: join(dir, 'modules'),
  };
}

/** Kernels in the cache, any series. */
export function cachedKernels(): GuestKernel[] {
  const dir = kernelsDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((release) => {
    const file = join(dir, release, 'kernel.json');
    if (!existsSync(file)) return [];
    return [fromRecord(join(dir, release), JSON.parse(readFileSync(file, 'utf8')) as KernelRecord)];
  });
}

let aptUpdated: Promise<unknown> | null = null;

async function aptPackageNames(): Promise<string[]> {
  aptUpdated ??= runTool('apt-get', ['update', '-qq']);
  await aptUpdated;
  return (await runTool('apt-cache', ['pkgnames', 'linux-image-'])).stdout.split('\n').filter(Boolean);
}

/** `dpkg-deb --fsys-tarfile deb | tar -x` of the given members, without a shell. */
function extractMembers(deb: string, into: string, patterns: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const dpkg = spawn('dpkg-deb', ['--fsys-tarfile', deb], { stdio: ['ignore', 'pipe', 'inherit'] });
    const tar = spawn('tar', ['-x', '-C', into, '--wildcards', ...patterns], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    dpkg.stdout.pipe(tar.stdin);
    let pending = 2;
    const done = (tool: string) => (code: number | null) => {
      if (code !== 0) reject(new Error(`${tool} exited ${code} unpacking ${deb}`));
      else if (--pending === 0) resolve();
    };
    dpkg.on('error', reject).on('close', done('dpkg-deb'));
    tar.on('error', reject).on('close', done('tar'));
  });
}

async function download(pkg: string, series: string, log: (line: string) => void): Promise<GuestKernel> {
  const scratch = cacheScratch('kernel');
  try {
    log(`downloading ${pkg}`);
    await runTool('apt-get', ['download', '-qq', pkg], { cwd: scratch });
    const deb = readdirSync(scratch).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb`);
    const debPath = join(scratch, deb);
    const version = (await runTool('dpkg-deb', ['-f', debPath, 'Version'])).stdout.trim();
    const release = pkg.replace(/^linux-image-/, '');
    const tree = join(scratch, 'tree');
    mkdirSync(tree);
    await extractMembers(debPath, tree, [
      `./boot/vmlinuz-${release}`,
      `./boot/config-${release}`,
      `./lib/modules/${release}/modules.builtin`,
      ...EXTRACT_DIRS.map((d) => `./lib/modules/${release}/kernel/${d}/*`),
    ]);
    const out = join(scratch, 'kernel');
    mkdirSync(join(out, 'modules'), { recursive: true });
    log(`unpacking ${pkg} ${version}`);
    await extractVmlinux(join(tree, 'boot', `vmlinuz-${release}`), join(out, 'vmlinux'));
    copyFileSync(join(tree, 'boot', `config-${release}`), join(out, 'config'));
    const modules = join(tree, 'lib', 'modules', release);
    copyFileSync(join(modules, 'modules.builtin'), join(out, 'modules.builtin'));
    for (const rel of readdirSync(join(modules, 'kernel'), { recursive: true }) as string[]) {
      if (!MODULE_DIRS.test(rel) || !/\.ko(\.xz)?$/.test(rel)) continue;
      const target = join(out, 'modules', `${moduleName(rel)}.ko`);
      if (rel.endsWith('.xz')) await xzToFile(readFileSync(join(modules, 'kernel', rel)), target);
      else copyFileSync(join(modules, 'kernel', rel), target);
    }
    const record: KernelRecord = { series, release, package: pkg, version };
    writeFileSync(join(out, 'kernel.json'), JSON.stringify(record, null, 2) + '\n');
    const final = join(kernelsDir(), release);
    mkdirSync(kernelsDir(), { recursive: true });
    // Another run may have finished the same download first; either copy is complete.
    if (!existsSync(final)) renameSync(out, final);
    return fromRecord(final, record);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface EnsureKernelOptions {
  /** Ask apt for a newer kernel even when one of the series is cached (default: VIGIL_VM_REFRESH=1). */
  refresh?: boolean;
  log?: (line: string) => void;
}

/** The newest cached kernel of the series, downloading the newest from apt when none is cached. */
export async function ensureKernel(series: string, options: EnsureKernelOptions = {}): Promise<GuestKernel> {
  const log = options.log ?? (() => {});
  const refresh = options.refresh ?? process.env.VIGIL_VM_REFRESH === '1';
  const cached = cachedKernels()
    .filter((k) => k.series === series)
    .sort((a, b) => compareVersions(a.release, b.release))
    .at(-1);
  if (cached && !refresh) return cached;
  const pkg = newestPackage(await aptPackageNames(), series);
  if (!pkg) throw new Error(`apt knows no linux-image package of series ${series} for amd64`);
  if (cached && cached.package === pkg) return cached;
  return download(pkg, series, log);
}
