/**
 * Holds the events of a container whose runtime metadata is being looked up,
 * for at most `containers.metadata_wait_ms`, so that the rules (conditions,
 * exceptions, outputs) see the container's image, labels and pod: a rule on
 * `container.image.repository` neither misses nor misfires on a container's
 * first events. Released when the lookup settles or the bound passes,
 * whichever comes first, in their order; an event released by the bound goes
 * on with what is known, and its `container.unknown` names what was not.
 * Only new containers' first events wait; a runtime down never makes one wait
 * (its lookups settle at once, src/sensor/runtime/metadata-cache.ts).
 */
import type { VigilEvent } from '../event/types.js';
import type { ContainerCatalog } from '../sensor/container-catalog.js';

export interface MetadataWaitStats {
  /** Holds released by the answer, and by the bound. */
  in_time: number;
  timed_out: number;
  /** Events not held because the bound on held events was reached. */
  overflow: number;
  held: number;
}

export class MetadataWait {
  private readonly queues = new Map<string, { events: VigilEvent[]; timer: NodeJS.Timeout }>();
  private held = 0;
  readonly counts = { in_time: 0, timed_out: 0, overflow: 0 };

  constructor(
    private readonly catalog: () => ContainerCatalog | undefined,
    private readonly boundMs: number,
    private readonly decide: (ev: VigilEvent) => void,
    private readonly maxHeld = 4096,
  ) {}

  /** True when `ev` is held (it is decided later); false: decide it now. */
  hold(ev: VigilEvent): boolean {
    const id = ev.proc.container_id;
    if (this.boundMs <= 0 || id === '') return false;
    const queued = this.queues.get(id);
    if (queued === undefined && ev.container?.unknown === undefined) return false;
    if (this.held >= this.maxHeld) {
      this.counts.overflow++;
      return false;
    }
    if (queued !== undefined) {
      queued.events.push(ev);
      this.held++;
      return true;
    }
    const settled = this.catalog()?.whenSettled(ev.proc);
    if (settled === undefined) return false;
    const timer = setTimeout(() => this.release(id, 'timed_out'), this.boundMs);
    this.queues.set(id, { events: [ev], timer });
    this.held++;
    void settled.then(() => this.release(id, 'in_time'));
    return true;
  }

  /** Decides every held event now (the agent is stopping). */
  flush(): void {
    for (const id of [...this.queues.keys()]) this.release(id, 'timed_out');
  }

  stats(): MetadataWaitStats {
    return { ...this.counts, held: this.held };
  }

  private release(id: string, outcome: 'in_time' | 'timed_out'): void {
    const q = this.queues.get(id);
    if (q === undefined) return;
    this.queues.delete(id);
    clearTimeout(q.timer);
    this.held -= q.events.length;
    this.counts[outcome]++;
    const catalog = this.catalog();
    for (const ev of q.events) {
      const now = catalog?.of(ev.proc);
      // The mounts were read at decode time, from the process: the catalog does not keep them.
      const mounts = ev.container?.mounts;
      if (now !== undefined) ev.container = mounts === undefined ? now : { ...now, mounts };
      this.decide(ev);
    }
  }
}
