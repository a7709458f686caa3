/**
 * What a JetStream stream holds, read back through the NATS client: every message's subject,
 * `Nats-Msg-Id` header and payload, in stream order. For tests of the NATS sink and the hub.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';

export interface StoredNatsMsg {
  seq: number;
  subject: string;
  msgId: string | undefined;
  data: string;
}

/** Every message of the stream (connection options as the sink gets them: auth, TLS). */
export async function streamMessages(
  opts: NodeConnectionOptions,
  stream = 'VIGIL',
): Promise<StoredNatsMsg[]> {
  const nc = await connect({ ...opts, timeout: 20_000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 20_000 });
    const info = await jsm.streams.info(stream);
    const out: StoredNatsMsg[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (!m) continue;
      out.push({
        seq,
        subject: m.subject,
        msgId: m.header.get('Nats-Msg-Id') || undefined,
        data: m.string(),
      });
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** The stream's config and state (replicas, duplicate window, message count). */
export async function streamInfo(opts: NodeConnectionOptions, stream = 'VIGIL') {
  const nc = await connect({ ...opts, timeout: 20_000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 20_000 });
    return await jsm.streams.info(stream);
  } finally {
    await nc.close();
  }
}
