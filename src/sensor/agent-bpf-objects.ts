/**
 * The agent's own BPF maps, programs and links, by id: a bpf(2) call of another process naming
 * one of them (its record carries the object's kind and id, bpf/tracepoints/process.bpf.c) is
 * aimed at the agent. Read from the agent's file descriptors (`/proc/<pid>/fd` links
 * `anon_inode:bpf-map` / `bpf-prog` / `bpf_link`, their fdinfo `map_id:` / `prog_id:` /
 * `link_id:`), so every object the agent holds counts, whichever part of it loaded the object
 * (the sensor, enforcement, the LSM programs). The set is read again when an id is not in it (a
 * sensor restart creates new objects), at most every `minRescanMs`.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** enum vg_bpf_obj (bpf/include/events.h): the kind of object in a bpf record's arg3. */
export const BPF_OBJECT_KINDS = ['', 'map', 'prog', 'link'] as const;
export type BpfObjectKind = 'map' | 'prog' | 'link';

const BY_LINK: Record<string, BpfObjectKind> = {
  'anon_inode:bpf-map': 'map',
  'anon_inode:bpf-prog': 'prog',
  'anon_inode:bpf_link': 'link',
};
/** The fdinfo line of each kind's id. */
const ID_LINE: Record<BpfObjectKind, RegExp> = {
  map: /^map_id:\s*(\d+)$/m,
  prog: /^prog_id:\s*(\d+)$/m,
  link: /^link_id:\s*(\d+)$/m,
};

export class AgentBpfObjects {
  private ids = new Set<string>();
  private lastScan = -Infinity;

  constructor(
    private readonly pid: number = process.pid,
    private readonly minRescanMs = 200,
  ) {}

  /** True when the object of this kind and id is one the agent holds. */
  has(kind: BpfObjectKind, id: number, now = Date.now()): boolean {
    const key = `${kind}:${id}`;
    if (this.ids.has(key)) return true;
    if (now - this.lastScan < this.minRescanMs) return false;
    this.scan(now);
    return this.ids.has(key);
  }

  /** Reads the agent's descriptors again. */
  scan(now = Date.now()): void {
    this.lastScan = now;
    const ids = new Set<string>();
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${this.pid}/fd`);
    } catch {
      return;
    }
    for (const fd of fds) {
      const kind = fdKind(`/proc/${this.pid}/fd/${fd}`);
      if (kind === undefined) continue;
      const id = fdId(`/proc/${this.pid}/fdinfo/${fd}`, kind);
      if (id !== undefined) ids.add(`${kind}:${id}`);
    }
    this.ids = ids;
  }

  /** The ids of one kind the agent held at the last scan. */
  idsOf(kind: BpfObjectKind): number[] {
    const prefix = `${kind}:`;
    return [...this.ids].filter((k) => k.startsWith(prefix)).map((k) => Number(k.slice(prefix.length)));
  }
}

function fdKind(path: string): BpfObjectKind | undefined {
  try {
    return BY_LINK[readlinkSync(path)];
  } catch {
    return undefined; // closed meanwhile
  }
}

function fdId(path: string, kind: BpfObjectKind): number | undefined {
  try {
    const m = ID_LINE[kind].exec(readFileSync(path, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}
