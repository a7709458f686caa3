/**
 * Container identity from a process's cgroup path, the way Falco derives
 * container.id: the runtime puts the 64-hex container id in the cgroup's name,
 * with a prefix (docker-, cri-containerd-, crio-, libpod-) and a `.scope`
 * suffix under systemd, or as a bare directory under cgroupfs (/docker/<id>,
 * /kubepods/burstable/pod<uid>/<id>). The id is shortened to 12 hex as Falco
 * shows container.id; processes on the host get ''.
 */

export type ContainerRuntime = 'docker' | 'containerd' | 'cri-o' | 'podman' | 'lxc' | '';

export interface CgroupContainer {
  /** 12-hex short id (Falco's container.id); '' on the host. */
  id: string;
  /** The full id as the runtime knows it. */
  fullId: string;
  runtime: ContainerRuntime;
  /** Kubernetes pod uid (dashes restored from systemd's underscores) when the path names one. */
  podUid: string;
}

const HOST: CgroupContainer = Object.freeze({ id: '', fullId: '', runtime: '', podUid: '' });

const HEX64 = /^[0-9a-f]{64}$/;
/** Prefixes of systemd scope names, and the runtime each one means. */
const SCOPE_PREFIXES: readonly (readonly [string, ContainerRuntime])[] = [
  ['docker-', 'docker'],
  ['cri-containerd-', 'containerd'],
  ['crio-', 'cri-o'],
  ['libpod-', 'podman'],
];
/** Monitor processes beside the container (conmon), which are not in it. */
const MONITOR_PREFIXES = ['crio-conmon-', 'libpod-conmon-'];
const POD =
  /(?:^|[-/])pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?$/;

/** Bounded memo: the same few cgroup paths repeat for every event of a container. */
const cache = new Map<string, CgroupContainer>();
const CACHE_MAX = 4096;

export function containerFromCgroup(path: string): CgroupContainer {
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  const result = parse(path);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(path, result);
  return result;
}

function parse(path: string): CgroupContainer {
  if (path === '' || path === '/') return HOST;
  const parts = path.split('/');
  let podUid = '';
  for (const p of parts) {
    const m = POD.exec(p);
    if (m) podUid = m[1].replaceAll('_', '-');
  }
  // The innermost component that names a container wins (nested cgroups such as
  // libpod-<id>.scope/container sit below it).
  for (let i = parts.length - 1; i >= 0; i--) {
    const found = component(parts[i], parts[i - 1] ?? '');
    if (found === null) continue;
    if (found.fullId === '') return HOST;
    return { ...found, podUid };
  }
  return HOST;
}

/** The container named by one cgroup directory, {fullId: ''} for a monitor, null for none. */
function component(name: string, parent: string): CgroupContainer | null {
  for (const p of MONITOR_PREFIXES) if (name.startsWith(p)) return HOST;
  const base = name.endsWith('.scope') ? name.slice(0, -'.scope'.length) : name;
  for (const [prefix, runtime] of SCOPE_PREFIXES) {
    if (base.startsWith(prefix)) {
      const id = base.slice(prefix.length);
      if (HEX64.test(id)) return make(id, runtime);
    }
  }
  if (HEX64.test(base)) {
    // cgroupfs layouts: /docker/<id>, /kubepods/<qos>/pod<uid>/<id>, /<namespace>/<id> (containerd).
    return make(base, parent === 'docker' ? 'docker' : 'containerd');
  }
  if (parent === 'lxc' && name !== '') return lxc(name);
  if (name.startsWith('lxc.payload.')) return lxc(name.slice('lxc.payload.'.length));
  return null;
}

function make(fullId: string, runtime: ContainerRuntime): CgroupContainer {
  return { id: fullId.slice(0, 12), fullId, runtime, podUid: '' };
}

/** LXC names its containers; Falco shows the name as the id. */
function lxc(name: string): CgroupContainer {
  return { id: name, fullId: name, runtime: 'lxc', podUid: '' };
}
