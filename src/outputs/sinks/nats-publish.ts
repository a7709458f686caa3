/**
 * Pipelined JetStream publishing: a batch's messages go out back to back, each with its reply
 * subject under one inbox subscription, and the batch resolves once the stream acknowledged every
 * one (or fails on the first refusal, or when the timeout passes). The client's own
 * `js.publish` makes a request, with a timer, per message; one subscription and one timer per
 * batch is what lets a batch of a thousand alerts cost little more than writing it to the socket.
 * An acknowledgement is the JetStream API's PubAck: `{"stream","seq","duplicate"?}` or
 * `{"error":{...}}`; a 503 status means no stream captures the subject.
 */
import {
  createInbox,
  headers,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

export interface OutgoingMsg {
  subject: string;
  data: Uint8Array;
  /** Nats-Msg-Id: the stream drops a message whose id it stored within its duplicate window. */
  msgId: string;
}

/** A batch waiting for its acknowledgements: one promise per batch, not per message. */
interface Waiting {
  remaining: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const decoder = new TextDecoder();

/** Why an acknowledgement refuses its message, or undefined when it accepts it. */
function refusal(m: Msg): string | undefined {
  if (m.headers?.hasError) {
    return m.headers.code === 503
      ? 'no stream captures the subject (503 no responders)'
      : `${m.headers.code} ${m.headers.description}`;
  }
  const text = decoder.decode(m.data);
  // A PubAck is small JSON; only a refusal needs parsing.
  if (text.startsWith('{') && !text.includes('"error"')) return undefined;
  try {
    const ack = JSON.parse(text) as { error?: { code?: number; description?: string } };
    return `stream refused: ${ack.error?.description ?? ack.error?.code ?? text}`;
  } catch {
    return 'unreadable acknowledgement';
  }
}

export class JetStreamPublisher {
  private readonly inbox = createInbox();
  private readonly sub: Subscription;
  private readonly waiting = new Map<string, Waiting>();
  private seq = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly stream: string,
  ) {
    this.sub = nc.subscribe(`${this.inbox}.*`, {
      callback: (err, m) => {
        if (err) return;
        const w = this.waiting.get(m.subject);
        if (!w) return; // a late acknowledgement of a batch that already failed or timed out
        this.waiting.delete(m.subject);
        const why = refusal(m);
        if (why !== undefined) w.reject(new Error(why));
        else if (--w.remaining === 0) w.resolve();
      },
    });
  }

  /** Resolves once every message is in the stream (stored now, or already: a duplicate). */
  async publish(msgs: readonly OutgoingMsg[], timeoutMs: number): Promise<void> {
    if (msgs.length === 0) return;
    const replies: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const w: Waiting = { remaining: msgs.length, resolve, reject };
        for (const msg of msgs) {
          const reply = `${this.inbox}.${++this.seq}`;
          replies.push(reply);
          this.waiting.set(reply, w);
          const h = headers();
          h.set('Nats-Msg-Id', msg.msgId);
          h.set('Nats-Expected-Stream', this.stream);
          this.nc.publish(msg.subject, msg.data, { reply, headers: h });
        }
        timer = setTimeout(
          () => reject(new Error(`${w.remaining} of ${msgs.length} not acknowledged within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
    } finally {
      clearTimeout(timer);
      for (const r of replies) this.waiting.delete(r);
    }
  }

  close(): void {
    this.sub.unsubscribe();
    this.waiting.clear();
  }
}
