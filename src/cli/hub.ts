/**
 * `vigil hub`: the fleet's alerts from NATS JetStream into one store, with the web console and its
 * API (docs/fleet.md). Runs until SIGTERM or SIGINT.
 */
import pino from 'pino';
import { untilStopped } from './until-stopped.js';
import { parseListen } from '../ops/index.js';
import { metricsToken } from '../ops/metrics-token.js';
import { redactingLogMethod } from '../outputs/index.js';
import { startHub, type HubOptions } from '../hub/hub.js';

export const DEFAULT_HUB_LISTEN = '127.0.0.1:9480';
export const DEFAULT_HUB_STATE_DIR = '/var/lib/vigil/hub';
export const HUB_TOKEN_FILE = 'hub.token';

/** Options the command line gives as numbers in text (checked by hubOptions). */
type CountOption = 'retentionDays' | 'replicas' | 'batch';

/**
 * HubOptions as commander hands them over: the counts as text, `--nats` comma-separated,
 * `--ack-wait` in seconds, the token optional (VIGIL_HUB_TOKEN, else the state directory's file).
 */
export type HubCliOptions = Omit<HubOptions, CountOption | 'nats' | 'token' | 'ackWaitMs' | 'log'> &
  Record<CountOption, string> & { nats: string; token?: string; ackWait: string };

function positiveInt(v: string, option: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${option}: "${v}" is not an integer >= ${min}`);
  return n;
}

/** The options as the hub takes them; throws with the option's name on a bad value. */
export function hubOptions(o: HubCliOptions, logger: pino.Logger): HubOptions {
  parseListen(o.listen);
  const token = metricsToken(o.token ?? process.env.VIGIL_HUB_TOKEN, o.stateDir, HUB_TOKEN_FILE);
  if (token.file) logger.info({ file: token.file, source: token.source }, 'API token file');
  return {
    listen: o.listen,
    nats: o.nats
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    natsCreds: o.natsCreds,
    natsCa: o.natsCa,
    stream: o.stream,
    durable: o.durable,
    db: o.db ?? (process.env.VIGIL_HUB_DB || undefined),
    stateDir: o.stateDir,
    token: token.token,
    retentionDays: positiveInt(o.retentionDays, '--retention-days', 0),
    ackWaitMs: positiveInt(o.ackWait, '--ack-wait') * 1000,
    replicas: positiveInt(o.replicas, '--replicas'),
    batch: positiveInt(o.batch, '--batch'),
    log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
  };
}

export async function run(o: HubCliOptions): Promise<number> {
  const logger = pino(
    { base: { pid: process.pid }, hooks: { logMethod: redactingLogMethod } },
    pino.destination(2),
  );
  try {
    const hub = await startHub(hubOptions(o, logger));
    logger.info(
      {
        console: `http://${hub.host.includes(':') ? `[${hub.host}]` : hub.host}:${hub.port}/`,
        stream: o.stream,
      },
      'hub ready',
    );
    await untilStopped(logger);
    await hub.stop();
    return 0;
  } catch (err) {
    process.stderr.write(`vigil hub: ${(err as Error).message}\n`);
    return 1;
  }
}
