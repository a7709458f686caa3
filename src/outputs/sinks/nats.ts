/**
 * NATS JetStream sink: each alert, as the JSON `vigil run --json` prints, published to
 * `vigil.alerts.<hostname>` with its uuid as `Nats-Msg-Id`, and the batch counted delivered once
 * the stream acknowledged every message. The server drops a message whose id it stored within the
 * stream's duplicate window, so the runner's resends (after a failure, a restart, `kill -9` of the
 * agent) never store an alert twice: the outbox plus the dedup give exactly once into the stream.
 * The stream (`VIGIL`, capturing `vigil.>`) is created when absent unless `create_stream: false`.
 * Contract with `vigil hub`: docs/fleet.md.
 */
import {
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { NatsSinkConfig } from '../config.js';
import { DeliveryError, type Delivery, type DeliveryItem, type Sink } from '../sink.js';
import { addNatsSecrets, natsConnectOptions, natsWhere } from './nats-connect.js';
import { JetStreamPublisher, type OutgoingMsg } from './nats-publish.js';
import type { SinkContext } from './sink-factory.js';

/** Characters NATS forbids inside a subject token: the separator, the wildcards, whitespace. */
const SUBJECT_UNSAFE = /[.*>\s]/g;

/** A hostname as one subject token: forbidden characters become `_`. */
export function subjectToken(hostname: string): string {
  return hostname === '' ? '_' : hostname.replace(SUBJECT_UNSAFE, '_');
}

/** `vigil.alerts.<hostname>`. */
export function alertSubject(hostname: string): string {
  return `vigil.alerts.${subjectToken(hostname)}`;
}

const encoder = new TextEncoder();

/** The stream the sink publishes into, and how to create it when absent. */
interface StreamPlan {
  name: string;
  create: boolean;
  replicas: number;
  duplicateWindowMs: number;
}

/** Retries of a batch are dropped as duplicates within this window: at least two minutes. */
export const MIN_DUPLICATE_WINDOW_MS = 120_000;

export function streamPlan(cfg: NatsSinkConfig): StreamPlan {
  return {
    name: cfg.stream ?? 'VIGIL',
    create: cfg.create_stream ?? true,
    replicas: cfg.replicas ?? 1,
    duplicateWindowMs: cfg.duplicate_window_ms ?? MIN_DUPLICATE_WINDOW_MS,
  };
}

/** The stream exists, or is created capturing `vigil.>` (when allowed). */
export async function ensureStream(jsm: JetStreamManager, plan: StreamPlan, logger: Logger): Promise<void> {
  try {
    await jsm.streams.info(plan.name);
    return;
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamNotFound) throw err;
    if (!plan.create)
      throw new Error(`stream ${plan.name} does not exist (create_stream: false)`, { cause: err });
  }
  await jsm.streams.add({
    name: plan.name,
    subjects: ['vigil.>'],
    num_replicas: plan.replicas,
    duplicate_window: nanos(plan.duplicateWindowMs),
  });
  logger.info({ stream: plan.name, replicas: plan.replicas }, 'nats: stream created');
}

interface Connected {
  nc: NatsConnection;
  publisher: JetStreamPublisher;
}

/** One item as a message: the alert under its uuid, a summary under the delivery id and its position. */
function message(d: Delivery, it: DeliveryItem, i: number): OutgoingMsg {
  if (it.alert) {
    const data = it.bytes ?? encoder.encode(it.json ?? JSON.stringify(it.alert));
    return { subject: alertSubject(it.alert.hostname), data, msgId: it.alert.uuid };
  }
  const s = it.summary;
  return {
    subject: `vigil.summaries.${subjectToken(s.hostname)}`,
    data: encoder.encode(JSON.stringify({ vigil_summary: s })),
    msgId: `summary-${d.id}-${i}`,
  };
}

export class NatsSink implements Sink {
  private readonly stream: StreamPlan;
  private readonly timeoutMs: number;
  private conn?: Promise<Connected>;

  constructor(
    private readonly cfg: NatsSinkConfig,
    private readonly ctx: SinkContext,
  ) {
    this.stream = streamPlan(cfg);
    this.timeoutMs = cfg.timeout_ms ?? 10_000;
    addNatsSecrets(cfg, ctx.redactor);
  }

  async send(d: Delivery): Promise<void> {
    const { publisher } = await this.connection();
    try {
      await publisher.publish(
        d.items.map((it, i) => message(d, it, i)),
        this.timeoutMs,
      );
    } catch (err) {
      const msg = this.ctx.redactor.redact((err as Error).message);
      throw new DeliveryError(`nats ${natsWhere(this.cfg)}: ${msg}`, true);
    }
  }

  /** The connection (made once, reconnecting on its own), with the stream ensured on it. */
  private connection(): Promise<Connected> {
    this.conn ??= this.open().catch((err: unknown) => {
      this.conn = undefined;
      const msg = this.ctx.redactor.redact((err as Error).message);
      throw new DeliveryError(`nats ${natsWhere(this.cfg)}: ${msg}`, true);
    });
    return this.conn;
  }

  private async open(): Promise<Connected> {
    const nc = await connect(natsConnectOptions(this.cfg, this.timeoutMs));
    try {
      const jsm = await jetstreamManager(nc, { timeout: this.timeoutMs });
      await ensureStream(jsm, this.stream, this.ctx.logger);
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
    void nc.closed().then(() => {
      this.conn = undefined;
    });
    return { nc, publisher: new JetStreamPublisher(nc, this.stream.name) };
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return;
    const c = await conn.catch(() => undefined);
    c?.publisher.close();
    await c?.nc.drain().catch(() => undefined);
  }
}
