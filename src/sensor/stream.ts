/**
 * Run the sensors until SIGINT/SIGTERM, handing event batches to a sink: the
 * shared body of `vigil events` and `vigil record`. Logs (pino) go to stderr.
 */
import { pino, type Logger } from 'pino';
import { type EventType, isEventType, type VigilEvent } from '../event/types.js';
import { defaultConfig } from '../config/load-config.js';
import { PodDirectory } from './k8s-pods.js';
import { Sensor, type SensorStats, SensorUnavailable } from './sensor.js';

const KUBERNETES = defaultConfig().kubernetes;

export function stderrLogger(): Logger {
  return pino({ base: undefined }, pino.destination(2));
}

/** `--types a,b` -> a set of event types; throws on an unknown name. */
export function parseTypes(list: string | undefined): Set<EventType> | undefined {
  if (list === undefined || list.trim() === '') return undefined;
  const out = new Set<EventType>();
  for (const raw of list.split(',')) {
    const t = raw.trim();
    if (t === '') continue;
    if (!isEventType(t)) throw new SensorUnavailable(`unknown event type '${t}' in --types`);
    out.add(t);
  }
  return out;
}

export interface StreamOptions {
  types?: Set<EventType>;
  onEvents: (events: VigilEvent[]) => void;
  log: Logger;
  /** Resolves to stop early (tests); otherwise SIGINT/SIGTERM stop. */
  until?: Promise<void>;
}

/** Returns the exit code: 0 after a clean stop, 1 when the sensors cannot run (one sentence on stderr). */
export async function streamUntilSignal(opts: StreamOptions): Promise<{ code: number; stats?: SensorStats }> {
  let sensor: Sensor;
  try {
    sensor = await Sensor.start({
      types: opts.types,
      onEvents: opts.onEvents,
      onMounts: (ms) => {
        for (const m of ms) if (m.state !== 'present') opts.log.info({ mount: m }, `${m.type}: ${m.state}`);
      },
      // Recorded events carry their pod, as the agent's do (the kubelet's directories, default places).
      pods: new PodDirectory({ podsDir: KUBERNETES.pods_dir, containersDir: KUBERNETES.containers_dir }),
    });
  } catch (err) {
    if (err instanceof SensorUnavailable) {
      process.stderr.write(`vigil: ${err.message}\n`);
      return { code: 1 };
    }
    throw err;
  }
  opts.log.info({ processes: sensor.table.size }, 'ready');
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  let onSignal: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    onSignal = resolve;
    for (const s of signals) process.on(s, onSignal);
  });
  await Promise.race([stopped, ...(opts.until ? [opts.until] : [])]);
  for (const s of signals) process.off(s, onSignal);
  const stats = await sensor.stop();
  opts.log.info({ stats: { ...stats, ring: undefined } }, 'stopped');
  return { code: 0, stats };
}
