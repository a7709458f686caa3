/**
 * The hub's JetStream consumer: one durable pull consumer on the alerts of the stream, shared by
 * every hub given the same durable name (JetStream hands each message to one of them, so they
 * split the work). Messages are gathered into batches, committed to the store, and only then
 * acknowledged: a hub killed mid-batch leaves its messages unacknowledged, and JetStream sends them
 * again (to it or another hub) after `ack_wait`; the store's insert by uuid makes that harmless.
 * A message that is not an alert is terminated (never redelivered) and counted; a store failure
 * leaves the batch unacknowledged (negatively, with a delay) and pauses this hub before it goes on.
 */
import {
  AckPolicy,
  DeliverPolicy,
  jetstreamManager,
  jetstream,
  type Consumer,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { alertRow, MalformedAlert, MAX_ALERT_BYTES, type AlertRow } from './alert-row.js';
import type { ConsumerLag, HubMetrics } from './metrics.js';
import type { HubStore } from './store.js';

export const ALERT_SUBJECTS = 'vigil.alerts.>';

export interface ConsumerOptions {
  stream: string;
  /** The durable consumer's name; hubs sharing it split the stream's alerts. */
  durable: string;
  /** Most alerts committed at once. */
  batch: number;
  /** How long JetStream waits for an acknowledgement before sending a message again, ms. */
  ackWaitMs: number;
  /** The longest a batch waits to fill, ms. */
  lingerMs: number;
  /** Replicas of the stream when the hub creates it (it exists already: left as it is). */
  replicas: number;
}

export interface ConsumerLog {
  info(msg: string): void;
  warn(msg: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MS = 1_000_000;

export class HubConsumer {
  private stopping = false;
  private messages: ConsumerMessages | undefined;
  private pending: JsMsg[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private lastLag: ConsumerLag | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  /** False while the store refuses commits (readiness). */
  storeOk = true;
  /** True once the consumer is bound to the stream. */
  bound = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly store: HubStore,
    private readonly metrics: HubMetrics,
    private readonly opts: ConsumerOptions,
    private readonly log: ConsumerLog,
  ) {
    metrics.setLagSource(() => this.lastLag);
  }

  /** Binds to the stream (waiting for JetStream if needed) and starts consuming. */
  start(): void {
    this.loop = this.run().catch((err: Error) => this.log.warn(`consumer stopped: ${err.message}`));
  }

  private async run(): Promise<void> {
    const consumer = await this.bind();
    if (consumer === undefined || this.stopping) return;
    this.bound = true;
    this.lagTimer = setInterval(() => void this.refreshLag(consumer), 2000);
    void this.refreshLag(consumer);
    while (!this.stopping) {
      this.messages = await consumer.consume({ max_messages: this.opts.batch * 2 });
      // stop() may have come while consume() was opening: it closed nothing then.
      if (this.stopping) await this.messages.close();
      for await (const m of this.messages) {
        this.pending.push(m);
        if (this.pending.length >= this.opts.batch) await this.flush();
        else this.timer ??= setTimeout(() => void this.flush(), this.opts.lingerMs);
      }
      await this.flush();
    }
  }

  /** The durable consumer, created on the stream (and the stream too) when missing; retried. */
  private async bind(): Promise<Consumer | undefined> {
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        const jsm = await jetstreamManager(this.nc);
        await this.ensureStream(jsm);
        const { stream, durable } = this.opts;
        await jsm.consumers.info(stream, durable).catch(async () => {
          await jsm.consumers.add(stream, {
            durable_name: durable,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            filter_subject: ALERT_SUBJECTS,
            ack_wait: this.opts.ackWaitMs * MS,
            max_deliver: -1,
            max_ack_pending: Math.max(1000, this.opts.batch * 20),
          });
          this.log.info(`created the durable consumer ${durable} on stream ${stream}`);
        });
        return await jetstream(this.nc).consumers.get(stream, durable);
      } catch (err) {
        if (attempt % 10 === 0) this.log.warn(`waiting for JetStream: ${(err as Error).message}`);
        await sleep(1000);
      }
    }
    return undefined;
  }

  private async ensureStream(jsm: Awaited<ReturnType<typeof jetstreamManager>>): Promise<void> {
    const { stream, replicas } = this.opts;
    const exists = await jsm.streams.info(stream).then(
      () => true,
      () => false,
    );
    if (exists) return;
    await jsm.streams.add({
      name: stream,
      subjects: ['vigil.>'],
      num_replicas: replicas,
      max_msg_size: 1 << 20,
    });
    this.log.info(`created stream ${stream} (subjects vigil.>, ${replicas} replica(s))`);
  }

  private async refreshLag(consumer: Consumer): Promise<void> {
    try {
      const i = await consumer.info(false);
      this.lastLag = {
        pending: i.num_pending,
        ackPending: i.num_ack_pending,
        redelivered: i.num_redelivered,
      };
    } catch {
      // Kept from the last answer: a scrape during a NATS outage reports the last known lag.
    }
  }

  /** Commits what is gathered, then acknowledges it; one flush at a time. */
  private flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(() => this.commit(batch));
    return this.flushing;
  }

  private async commit(batch: JsMsg[]): Promise<void> {
    if (batch.length === 0) return;
    const rows: AlertRow[] = [];
    const kept: JsMsg[] = [];
    for (const m of batch) {
      try {
        rows.push(alertRow(m.data));
        kept.push(m);
      } catch (err) {
        this.refuse(m, err as Error);
      }
    }
    const end = this.metrics.batchSeconds.startTimer();
    try {
      const added = await this.store.insert(rows);
      end();
      this.storeOk = true;
      this.metrics.stored.inc(added);
      this.metrics.duplicates.inc(rows.length - added);
      for (const m of kept) m.ack();
    } catch (err) {
      this.storeOk = false;
      this.metrics.storeErrors.inc();
      this.log.warn(
        `the store refused a batch of ${rows.length} alerts, retried in 2 s: ${(err as Error).message}`,
      );
      for (const m of kept) m.nak(2000);
      await sleep(2000);
    }
  }

  private refuse(m: JsMsg, err: Error): void {
    const reason = m.data.byteLength > MAX_ALERT_BYTES ? 'oversized' : 'malformed';
    this.metrics.refused.inc({ reason });
    const why = err instanceof MalformedAlert ? err.message : String(err);
    this.log.warn(`refused message ${m.seq} on ${m.subject} (${reason}): ${why}`);
    // No reason with the TERM: servers before 2.10 do not read one and would send the message again.
    m.term();
  }

  /** Stops taking messages, commits and acknowledges what was taken. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    await this.loop;
    clearInterval(this.lagTimer);
    await this.flush();
  }
}
