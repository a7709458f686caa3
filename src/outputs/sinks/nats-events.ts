/**
 * Events publishing: the events the agent receives, as the JSON lines `vigil record` writes,
 * published on `vigil.events.<hostname>` for the hub's rule playground (docs/fleet.md). Off by
 * default (`events: {enabled: true}` on a `nats` sink). Never in detection's way: `offer` filters
 * by type, samples, and pushes references into a bounded queue; the serialising and publishing
 * happen later, a batch at a time, on a connection of their own (a burst of events never delays an
 * alert on the sink's). A full queue drops events, and so does a failed publish: both counted,
 * nothing retried, nothing stored. Events are a sample for trying rules, not a record.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { eventToJson } from '../../event/json.js';
import type { VigilEvent } from '../../event/types.js';
import type { NatsSinkConfig, OutputsConfig } from '../config.js';
import { sinkNames } from '../config-check.js';
import { Redactor } from '../redactor.js';
import { ensureStream, streamPlan, subjectToken } from './nats.js';
import { addNatsSecrets, natsConnectOptions, natsWhere } from './nats-connect.js';
import { JetStreamPublisher, type OutgoingMsg } from './nats-publish.js';

/** `vigil.events.<hostname>`. */
export function eventSubject(hostname: string): string {
  return `vigil.events.${subjectToken(hostname)}`;
}

/** Events taken from the queue at once: one publish round trip. */
const BATCH_EVENTS = 1000;
/** Bytes of JSON lines per message, at most (NATS refuses payloads over its max_payload, 1 MiB by default). */
const MAX_MESSAGE_BYTES = 512 * 1024;
/** Pause after a failed publish, so that a server down costs one attempt a second. */
const FAILURE_PAUSE_MS = 1000;
/** At most this long at stop for the connection to close. */
const CLOSE_WAIT_MS = 1000;

export interface EventsPublishStats {
  sink: string;
  /** Events the stream acknowledged. */
  published: number;
  /** Events dropped: queue full, or their publish failed. */
  dropped: number;
}

/** The events of a batch as JSON lines, cut into messages of at most MAX_MESSAGE_BYTES. */
export function eventMessages(
  events: readonly VigilEvent[],
  subject: string,
  idPrefix: string,
): OutgoingMsg[] {
  const encoder = new TextEncoder();
  const out: OutgoingMsg[] = [];
  let chunk = '';
  const push = () => {
    out.push({ subject, data: encoder.encode(chunk), msgId: `${idPrefix}-${out.length}` });
    chunk = '';
  };
  for (const ev of events) {
    const line = `${eventToJson(ev)}\n`;
    if (line.length > MAX_MESSAGE_BYTES) continue; // one huge event (a long evt.buffer) is not worth a message
    if (chunk.length + line.length > MAX_MESSAGE_BYTES) push();
    chunk += line;
  }
  if (chunk !== '') push();
  return out;
}

export class NatsEventPublisher {
  private queue: VigilEvent[] = [];
  private readonly types: ReadonlySet<string> | undefined;
  private readonly sample: number;
  private readonly max: number;
  private readonly subject: string;
  /** Message ids unique to this publisher: `<uuid>-<batch>-<message>`. */
  private readonly idBase = randomUUID();
  private batches = 0;
  private seen = 0;
  private draining = false;
  private closed = false;
  private failing = false;
  private conn?: Promise<{ nc: NatsConnection; publisher: JetStreamPublisher }>;
  published = 0;
  dropped = 0;

  constructor(
    readonly name: string,
    private readonly cfg: NatsSinkConfig,
    hostname: string,
    private readonly logger: Logger,
    private readonly redactor: Redactor,
  ) {
    const ev = cfg.events ?? {};
    this.types = ev.types ? new Set(ev.types) : undefined;
    this.sample = ev.sample ?? 1;
    this.max = ev.queue_size ?? 10_000;
    this.subject = eventSubject(hostname);
  }

  /** The hot path's only cost: a filter, a counter and a push per event. */
  offer(events: readonly VigilEvent[]): void {
    if (this.closed) return;
    for (const ev of events) {
      if (this.types !== undefined && !this.types.has(ev.type)) continue;
      if (this.sample > 1 && this.seen++ % this.sample !== 0) continue;
      if (this.queue.length >= this.max) this.dropped++;
      else this.queue.push(ev);
    }
    if (!this.draining && this.queue.length > 0) {
      this.draining = true;
      setImmediate(() => void this.drain());
    }
  }

  stats(): EventsPublishStats {
    return { sink: this.name, published: this.published, dropped: this.dropped };
  }

  /** Publishes the queue a batch at a time until it is empty; one drain runs at a time. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.closed) {
        const batch = this.queue.splice(0, BATCH_EVENTS);
        await this.publish(batch);
      }
    } finally {
      this.draining = false;
    }
  }

  private async publish(batch: VigilEvent[]): Promise<void> {
    try {
      const { publisher } = await this.connection();
      const msgs = eventMessages(batch, this.subject, `${this.idBase}-${++this.batches}`);
      await publisher.publish(msgs, this.cfg.timeout_ms ?? 10_000);
      this.published += batch.length;
      if (this.failing) this.logger.info({ sink: this.name }, 'nats: events publishing again');
      this.failing = false;
    } catch (err) {
      this.dropped += batch.length;
      if (!this.failing) {
        const msg = this.redactor.redact((err as Error).message);
        this.logger.warn(
          { sink: this.name, err: `nats ${natsWhere(this.cfg)}: ${msg}` },
          'nats: events dropped',
        );
      }
      this.failing = true;
      await sleep(FAILURE_PAUSE_MS);
    }
  }

  private connection(): Promise<{ nc: NatsConnection; publisher: JetStreamPublisher }> {
    this.conn ??= this.open().catch((err: unknown) => {
      this.conn = undefined;
      throw err;
    });
    return this.conn;
  }

  private async open(): Promise<{ nc: NatsConnection; publisher: JetStreamPublisher }> {
    const timeoutMs = this.cfg.timeout_ms ?? 10_000;
    const nc = await connect({
      ...natsConnectOptions(this.cfg, timeoutMs),
      name: `${this.cfg.connection_name ?? 'vigil'} events`,
    });
    const plan = streamPlan(this.cfg);
    try {
      await ensureStream(await jetstreamManager(nc, { timeout: timeoutMs }), plan, this.logger);
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
    void nc.closed().then(() => (this.conn = undefined));
    return { nc, publisher: new JetStreamPublisher(nc, plan.name) };
  }

  /**
   * Stops taking events; what is queued is dropped (events are a sample, not a record). Never
   * waits on the server: a connection still being made (server down) is closed when it comes.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.dropped += this.queue.length;
    this.queue = [];
    const conn = this.conn;
    this.conn = undefined;
    const closeIt = (c: { nc: NatsConnection; publisher: JetStreamPublisher } | undefined) => {
      c?.publisher.close();
      return c?.nc.close().catch(() => undefined);
    };
    const pending = conn?.then(closeIt, () => undefined);
    await Promise.race([pending, sleep(CLOSE_WAIT_MS, undefined, { ref: false })]);
  }
}

/** A publisher per `nats` sink with `events.enabled`; none when no sink asks. */
export function openEventPublishers(
  config: OutputsConfig,
  hostname: string,
  logger: Logger,
): NatsEventPublisher[] {
  const sinks = config.sinks ?? [];
  const names = sinkNames(sinks);
  return sinks.flatMap((cfg, i) => {
    if (cfg.type !== 'nats' || cfg.events?.enabled !== true) return [];
    const redactor = new Redactor();
    addNatsSecrets(cfg, redactor);
    return [new NatsEventPublisher(names[i] ?? `nats-${i}`, cfg, hostname, logger, redactor)];
  });
}
