/** Builds a sink from its config: the one place that knows every sink type. */
import type { Logger } from 'pino';
import { OutputConfigError, type SinkConfig } from '../config.js';
import type { Redactor } from '../redactor.js';
import type { Sink } from '../sink.js';
import { EmailSink, immediateRank } from './email.js';
import { FileSink } from './file.js';
import { HttpSink } from './http.js';
import { NatsSink } from './nats.js';
import { SlackSink } from './slack.js';
import { StdoutSink } from './stdout.js';
import { SyslogSink } from './syslog.js';

export interface SinkContext {
  /** Where in the config this sink is, for error messages. */
  where: string;
  logger: Logger;
  redactor: Redactor;
  isTTY: boolean;
  /** The store fsyncs each commit (synchronous: full): sinks writing local files fsync each batch too. */
  fsync: boolean;
}

/** Per-type defaults of the config keys batch.max_size, batch.max_wait_ms, durable and send_interval_ms. */
export interface SinkDefaults {
  max_size: number;
  max_wait_ms: number;
  durable: boolean;
  /** Slack allows about one message per second per incoming webhook. */
  send_interval_ms: number;
}

const DEFAULTS: Record<SinkConfig['type'], SinkDefaults> = {
  stdout: { max_size: 1000, max_wait_ms: 0, durable: false, send_interval_ms: 0 },
  file: { max_size: 1000, max_wait_ms: 0, durable: true, send_interval_ms: 0 },
  http: { max_size: 500, max_wait_ms: 200, durable: true, send_interval_ms: 0 },
  syslog: { max_size: 500, max_wait_ms: 0, durable: true, send_interval_ms: 0 },
  slack: { max_size: 20, max_wait_ms: 2000, durable: true, send_interval_ms: 1000 },
  email: { max_size: 200, max_wait_ms: 60_000, durable: true, send_interval_ms: 0 },
  nats: { max_size: 1000, max_wait_ms: 20, durable: true, send_interval_ms: 0 },
};

export function sinkDefaults(type: string): SinkDefaults {
  const d = DEFAULTS[type as SinkConfig['type']];
  if (!d)
    throw new OutputConfigError(`unknown sink type "${type}" (one of ${Object.keys(DEFAULTS).join(', ')})`);
  return d;
}

/** Alerts this severe or more skip the batch wait (rank, -1: none): email's immediate_priority. */
export function urgentRank(cfg: SinkConfig): number {
  return cfg.type === 'email' ? immediateRank(cfg) : -1;
}

export function createSink(cfg: SinkConfig, ctx: SinkContext): Sink {
  switch (cfg.type) {
    case 'stdout':
      return new StdoutSink(cfg, ctx);
    case 'file':
      return new FileSink(cfg, ctx.fsync);
    case 'http':
      return new HttpSink(cfg, ctx);
    case 'syslog':
      return new SyslogSink(cfg);
    case 'slack':
      return new SlackSink(cfg, ctx);
    case 'email':
      return new EmailSink(cfg, ctx);
    case 'nats':
      return new NatsSink(cfg, ctx);
    default:
      throw new OutputConfigError(`${ctx.where}: unknown sink type "${(cfg as { type: string }).type}"`);
  }
}
