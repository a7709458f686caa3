/**
 * The events the agents published (`vigil.events.<hostname>`, JSON lines of `vigil record`), read
 * back from the stream for the playground: the newest `max` of a recent window. JetStream reads
 * forward only, so the reader starts a span of messages before the stream's end and widens it
 * (eight times each round) until the span holds `max` events, reaches the window's start or the
 * stream's first message. Bounded: at most MAX_READ_BYTES and READ_MS per span (a span cut by
 * either holds its oldest events only, so the narrower span's events are the answer),
 * FETCH_MESSAGES per fetch.
 */
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { parseEventLine } from '../event/json.js';
import type { VigilEvent } from '../event/types.js';

export interface HostEvent {
  /** The subject's host token (`vigil.events.<host>`). */
  host: string;
  event: VigilEvent;
}

const SUBJECTS = 'vigil.events.>';
const MAX_READ_BYTES = 64 * 1024 * 1024;
/**
 * Messages per fetch: at most 16 MiB in flight with the agents' 512 KiB messages. (The client's
 * `max_bytes` fetches took 14 ms a message here; counting messages costs nothing.)
 */
const FETCH_MESSAGES = 32;
const READ_MS = 4000;
const FIRST_SPAN = 256;
const LAST_SPAN = 1 << 21;

interface Span {
  events: HostEvent[];
  /** A message older than the window was met: a wider span cannot add events. */
  windowStart: boolean;
  /** Stopped by MAX_READ_BYTES or READ_MS before its end: it holds the span's oldest events only. */
  cut: boolean;
}

/** The published lines of one message; a line that is not an event is skipped (the playground reads, it does not judge). */
function pushLines(out: HostEvent[], host: string, text: string): void {
  for (const line of text.split('\n')) {
    try {
      const event = parseEventLine(line);
      if (event !== null) out.push({ host, event });
    } catch {
      // skipped, as said above
    }
  }
}

/** Events of messages `start..last` newer than `since` (ms), keeping the newest `max`. */
async function readSpan(
  nc: NatsConnection,
  stream: string,
  start: number,
  last: number,
  since: number,
  max: number,
): Promise<Span> {
  const consumer = await jetstream(nc).consumers.get(stream, {
    filter_subjects: SUBJECTS,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: start,
  });
  const span: Span = { events: [], windowStart: false, cut: true };
  const deadline = Date.now() + READ_MS;
  let bytes = 0;
  let done = false;
  while (!done && Date.now() < deadline) {
    const msgs = await consumer.fetch({ max_messages: FETCH_MESSAGES, expires: 1000 });
    let got = 0;
    for await (const m of msgs) {
      got++;
      bytes += m.data.length;
      if (m.info.timestampNanos / 1e6 < since) span.windowStart = true;
      else pushLines(span.events, m.subject.slice('vigil.events.'.length), m.string());
      if (span.events.length > 2 * max) span.events.splice(0, span.events.length - max);
      if (bytes > MAX_READ_BYTES) return span;
      // Breaking out of the loop ends the fetch.
      if (m.seq >= last || m.info.pending === 0) {
        done = true;
        break;
      }
    }
    if (got === 0) done = true;
  }
  span.cut = !done;
  span.events = span.events.slice(-max);
  return span;
}

/** The newest `max` events published on `vigil.events.>` in the last `windowMs`, oldest first. */
export async function streamEvents(
  nc: NatsConnection,
  stream: string,
  windowMs: number,
  max: number,
): Promise<HostEvent[]> {
  const since = Date.now() - windowMs;
  const { state } = await (await jetstreamManager(nc)).streams.info(stream);
  if (state.messages === 0) return [];
  let narrower: HostEvent[] = [];
  for (let span = FIRST_SPAN; ; span *= 8) {
    const start = Math.max(state.first_seq, state.last_seq - span + 1);
    const r = await readSpan(nc, stream, start, state.last_seq, since, max);
    // A cut span lacks its newest events: the narrower, complete one is the answer.
    if (r.cut) return narrower.length > 0 ? narrower : r.events;
    if (r.events.length >= max || r.windowStart || start === state.first_seq || span >= LAST_SPAN)
      return r.events;
    narrower = r.events;
  }
}
