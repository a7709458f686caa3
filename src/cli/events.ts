/**
 * `vigil events [--json] [--types a,b]`: stream kernel events, no rules. One
 * line per event on stdout: human-readable, or the event JSON of
 * src/event/types.ts.
 */
import type { VigilEvent } from '../event/types.js';
import { eventToJson } from '../event/json.js';
import { formatEventTime } from '../event/time.js';
import { outputWriter, OutputClosedError } from './stdout-writer.js';
import { parseTypes, stderrLogger, streamUntilSignal } from '../sensor/stream.js';
import { SensorUnavailable } from '../sensor/sensor.js';

export interface EventsOptions {
  json?: boolean;
  types?: string;
}

/** evt.arg values the line already shows (as fd=, cmdline=, res=). */
const SHOWN_ELSEWHERE = new Set(['res', 'name', 'path', 'exe', 'args', 'filename', 'fd', 'tuple']);

/** One readable line: time, type, process, user, what it is about, result. */
export function formatEventLine(ev: VigilEvent): string {
  const p = ev.proc;
  const parts = [formatEventTime(ev.ts), ev.type, `${p.name}[${p.pid}]`, `user=${ev.user.name}`];
  if (ev.fd !== undefined && ev.fd.name !== '') parts.push(`fd=${ev.fd.name}`);
  if (ev.fd2 !== undefined && ev.fd2.name !== '') parts.push(`fd2=${ev.fd2.name}`);
  if (ev.type === 'execve') parts.push(`cmdline=${JSON.stringify(p.cmdline)}`, `exe=${p.exe}`);
  for (const [k, v] of Object.entries(ev.args)) {
    if (SHOWN_ELSEWHERE.has(k)) continue;
    if (v !== '') parts.push(`${k}=${v}`);
  }
  parts.push(`res=${ev.args.res ?? ev.ret}`);
  if (p.container_id !== '') parts.push(`container=${p.container_id}`);
  const pod = p.container_id === '' ? undefined : ev.container?.pod;
  if (pod !== undefined) parts.push(`pod=${pod.namespace}/${pod.name}`);
  return parts.join(' ');
}

export async function run(opts: EventsOptions): Promise<number> {
  let types;
  try {
    types = parseTypes(opts.types);
  } catch (err) {
    if (!(err instanceof SensorUnavailable)) throw err;
    process.stderr.write(`vigil: ${err.message}\n`);
    return 1;
  }
  const format = opts.json ? eventToJson : formatEventLine;
  const write = outputWriter();
  // A reader that has gone (`vigil events | head`) stops the stream quietly, as a signal does.
  let readerGone: () => void = () => undefined;
  const until = new Promise<void>((resolve) => (readerGone = resolve));
  let failure: Error | undefined;
  const { code } = await streamUntilSignal({
    types,
    log: stderrLogger(),
    until,
    onEvents: (events) => {
      let chunk = '';
      for (const ev of events) chunk += `${format(ev)}\n`;
      write(chunk).catch((err: Error) => {
        if (!(err instanceof OutputClosedError)) failure ??= err;
        readerGone();
      });
    },
  });
  if (failure) {
    process.stderr.write(`vigil: ${failure.message}\n`);
    return 1;
  }
  return code;
}
