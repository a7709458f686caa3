/**
 * Container metadata from the runtimes, off the event path: each new
 * container id is looked up once (asynchronously), the answer kept in a
 * bounded LRU, dropped or refreshed when the runtime's event stream says the
 * container stopped or started. A runtime that fails is skipped for a
 * backoff that doubles up to a bound; lookups meanwhile settle at once as
 * unavailable, so no caller ever waits on a runtime that is down.
 */
import { existsSync } from 'node:fs';
import type { ContainerRuntime } from '../cgroup-container.js';
import type { RuntimeMetadata } from './metadata.js';
import { apiFor, type RuntimeSource } from './source.js';

export interface MetadataCacheOptions {
  sources: RuntimeSource[];
  /** Containers kept (least recently used go first). */
  max?: number;
  /** First backoff after a runtime fails, ms; doubles per failure up to backoffMaxMs. */
  backoffMs?: number;
  backoffMaxMs?: number;
  /** A container's metadata changed (found, refreshed, dropped): descriptions built from it are stale. */
  onChange?: (fullId: string) => void;
  log?: (msg: string, data: Record<string, unknown>) => void;
  now?: () => number;
}

type Entry =
  | { state: 'pending'; settled: Promise<void> }
  | { state: 'ready'; meta: RuntimeMetadata | null }
  | { state: 'failed'; retryAt: number };

interface SourceHealth {
  source: RuntimeSource;
  failures: number;
  downUntil: number;
  lastError: string;
  stopWatch?: () => void;
  watchRetry?: NodeJS.Timeout;
}

export interface MetadataCacheStats {
  size: number;
  /** Lookups by result: found, not_found (no runtime knows the id), error, skipped (every runtime down). */
  lookups: Record<'found' | 'not_found' | 'error' | 'skipped', number>;
  runtimes: { socket: string; type: string; up: boolean; lastError: string }[];
}

export class ContainerMetadataCache {
  private readonly entries = new Map<string, Entry>();
  private readonly health: SourceHealth[];
  private readonly max: number;
  private readonly backoffMs: number;
  private readonly backoffMaxMs: number;
  private readonly now: () => number;
  private closed = false;
  readonly lookups = { found: 0, not_found: 0, error: 0, skipped: 0 };

  constructor(private readonly opts: MetadataCacheOptions) {
    this.health = opts.sources.map((source) => ({ source, failures: 0, downUntil: 0, lastError: '' }));
    this.max = opts.max ?? 4096;
    this.backoffMs = opts.backoffMs ?? 1000;
    this.backoffMaxMs = opts.backoffMaxMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** True when some runtime could serve containers of this kind. */
  serves(runtime: ContainerRuntime): boolean {
    const api = apiFor(runtime);
    return api !== null && this.health.some((h) => h.source.api === api);
  }

  /**
   * The metadata of `fullId`: the runtime's answer (null: no runtime knows it), or 'pending' while
   * a lookup runs (started here on the first ask), or 'unavailable' when no runtime answered.
   */
  get(fullId: string, runtime: ContainerRuntime): RuntimeMetadata | null | 'pending' | 'unavailable' {
    const hit = this.entries.get(fullId);
    if (hit !== undefined) {
      this.entries.delete(fullId); // LRU: most recent last
      this.entries.set(fullId, hit);
      if (hit.state === 'ready') return hit.meta;
      if (hit.state === 'pending') return 'pending';
      if (this.now() < hit.retryAt) return 'unavailable';
    }
    return this.start(fullId, runtime);
  }

  /** Resolves when the lookup of `fullId` has settled (at once when none runs). */
  settled(fullId: string): Promise<void> {
    const e = this.entries.get(fullId);
    return e?.state === 'pending' ? e.settled : Promise.resolve();
  }

  private start(fullId: string, runtime: ContainerRuntime): null | 'pending' | 'unavailable' {
    const api = apiFor(runtime);
    const now = this.now();
    const candidates = this.health.filter((h) => h.source.api === api && existsSync(h.source.socket));
    // No socket of that kind on this host: nothing to wait for, nothing unknown (not kept, so a
    // runtime that comes up later serves the containers it starts).
    if (candidates.length === 0) return null;
    const up = candidates.filter((h) => now >= h.downUntil);
    if (up.length === 0) {
      this.lookups.skipped++;
      const retryAt = Math.min(...candidates.map((h) => h.downUntil), now + this.backoffMs);
      this.put(fullId, { state: 'failed', retryAt });
      return 'unavailable';
    }
    const settled = this.lookup(fullId, up).then((entry) => {
      if (this.closed || this.entries.get(fullId)?.state !== 'pending') return;
      this.put(fullId, entry);
      this.opts.onChange?.(fullId);
    });
    this.put(fullId, { state: 'pending', settled });
    return 'pending';
  }

  private async lookup(fullId: string, sources: SourceHealth[]): Promise<Entry> {
    let failed = false;
    for (const h of sources) {
      try {
        const meta = await h.source.lookup(fullId);
        this.succeeded(h);
        if (meta !== null) {
          this.lookups.found++;
          return { state: 'ready', meta };
        }
      } catch (err) {
        failed = true;
        this.failed(h, err as Error);
      }
    }
    if (!failed) {
      this.lookups.not_found++;
      return { state: 'ready', meta: null };
    }
    this.lookups.error++;
    return { state: 'failed', retryAt: this.now() + this.backoffMs };
  }

  private succeeded(h: SourceHealth): void {
    if (h.failures > 0) this.opts.log?.('container runtime answers again', { socket: h.source.socket });
    h.failures = 0;
    h.downUntil = 0;
  }

  private failed(h: SourceHealth, err: Error): void {
    const delay = Math.min(this.backoffMaxMs, this.backoffMs * 2 ** h.failures);
    h.failures++;
    h.downUntil = this.now() + delay;
    h.lastError = err.message;
    if (h.failures === 1)
      this.opts.log?.('container runtime lookup failed', {
        socket: h.source.socket,
        err: err.message,
        retry_ms: delay,
      });
  }

  private put(fullId: string, e: Entry): void {
    this.entries.delete(fullId);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(fullId, e);
  }

  /** Follows each runtime's event stream: a stop drops the container, a start looks it up again. */
  watch(): void {
    for (const h of this.health) this.follow(h);
  }

  private follow(h: SourceHealth): void {
    if (this.closed || !existsSync(h.source.socket)) return this.retryWatch(h, this.backoffMaxMs);
    h.stopWatch = h.source.watch(
      (e) => {
        if (!this.entries.has(e.id)) return;
        this.entries.delete(e.id);
        this.opts.onChange?.(e.id);
      },
      (err) => {
        h.stopWatch = undefined;
        // Runtimes without an event stream (CRI GetContainerEvents before containerd 1.7) say so at once.
        const unimplemented = (err as { unimplemented?: boolean }).unimplemented === true;
        this.retryWatch(h, unimplemented ? 10 * this.backoffMaxMs : this.backoffMaxMs);
      },
    );
  }

  private retryWatch(h: SourceHealth, ms: number): void {
    if (this.closed) return;
    h.watchRetry = setTimeout(() => this.follow(h), ms);
    h.watchRetry.unref();
  }

  stats(): MetadataCacheStats {
    const now = this.now();
    return {
      size: this.entries.size,
      lookups: { ...this.lookups },
      runtimes: this.health.map((h) => ({
        socket: h.source.socket,
        type: h.source.api,
        up: now >= h.downUntil && existsSync(h.source.socket),
        lastError: h.lastError,
      })),
    };
  }

  close(): void {
    this.closed = true;
    for (const h of this.health) {
      h.stopWatch?.();
      if (h.watchRetry) clearTimeout(h.watchRetry);
      h.source.close();
    }
  }
}
