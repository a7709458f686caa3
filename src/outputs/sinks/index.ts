/** Builds a sink from its config: the one place that knows every sink type. */
import type { Logger } from 'pino';
import type { SinkConfig } from '../config.js';
import type { Output } from '../output.js';
import { OutputConfigError } from '../output.js';
import type { Redactor } from '../secrets.js';
import { EmailSink } from './email.js';
import { FileSink } from './file.js';
import { HttpSink } from './http.js';
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

/** Per-type defaults of the config keys batch.max_size, batch.max_wait_ms and durable. */
export interface SinkDefaults {
  max_size: number;
  max_wait_ms: number;
  durable: boolean;
}

const DEFAULTS: Record<SinkConfig['type'], SinkDefaults> = {
  stdout: { max_size: 1000, max_wait_ms: 0, durable: false },
  file: { max_size: 1000, max_wait_ms: 0, durable: true },
  http: { max_size: 500, max_wait_ms: 200, durable: true },
  syslog: { max_size: 500, max_wait_ms: 0, durable: true },
  slack: { max_size: 20, max_wait_ms: 2000, durable: true },
  email: { max_size: 200, max_wait_ms: 60_000, durable: true },
};

export function sinkDefaults(type: string): SinkDefaults {
  const d = DEFAULTS[type as SinkConfig['type']];
  if (!d)
    throw new OutputConfigError(`unknown sink type "${type}" (one of ${Object.keys(DEFAULTS).join(', ')})`);
  return d;
}

export function createSink(cfg: SinkConfig, ctx: SinkContext): Output {
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
    default:
      throw new OutputConfigError(`${ctx.where}: unknown sink type "${(cfg as { type: string }).type}"`);
  }
}
