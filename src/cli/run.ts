/**
 * `vigil run`: the agent (src/agent/agent.ts), composed from the configuration and the command
 * line; runs until SIGTERM or SIGINT.
 */
import pino from 'pino';
import { untilStopped } from './until-stopped.js';
import { loadConfig, type VigilConfig } from '../config/index.js';
import {
  natsUrlProblem,
  redactingLogMethod,
  redactUrl,
  type OutputsConfig,
  type SinkConfig,
} from '../outputs/index.js';
import { Agent, AgentStartError } from '../agent/agent.js';
import { agentRulePaths, withMinStatus } from '../agent/rule-paths.js';

export interface RunOptions {
  config?: string;
  rules?: string[];
  db?: string;
  enforce?: boolean;
  json?: boolean;
  /** Overrides the configuration's engine.min_status. */
  minStatus?: string;
  /** NATS server URLs: a `nats` sink with its defaults is added. */
  nats?: string[];
}

/** The outputs section, with the command line's --db, --json and --nats applied on top. */
function outputsConfig(opts: RunOptions, config: VigilConfig): OutputsConfig {
  const out = structuredClone(config.outputs) as OutputsConfig;
  if (opts.db) out.store = { ...out.store, path: opts.db };
  if (opts.nats?.length) {
    const name = out.sinks?.some((s) => s.name === 'nats' || (!s.name && s.type === 'nats'))
      ? 'nats-cli'
      : 'nats';
    out.sinks = [...(out.sinks ?? [{ type: 'stdout' }]), { type: 'nats', name, servers: opts.nats }];
  }
  if (opts.json) {
    const sinks: SinkConfig[] = out.sinks ?? [{ type: 'stdout' }];
    out.sinks = sinks.map((s) => (s.type === 'stdout' ? { ...s, format: 'json' } : s));
    if (!out.sinks.some((s) => s.type === 'stdout')) out.sinks.push({ type: 'stdout', format: 'json' });
  }
  return out;
}

export async function run(opts: RunOptions): Promise<number> {
  for (const url of opts.nats ?? []) {
    const bad = natsUrlProblem(url);
    if (bad) {
      process.stderr.write(`vigil: --nats ${redactUrl(url)}: ${bad}\n`);
      return 1;
    }
  }
  let config: VigilConfig;
  try {
    config = withMinStatus(loadConfig(opts.config).config, opts.minStatus);
  } catch (err) {
    process.stderr.write(`vigil: ${(err as Error).message}\n`);
    return 1;
  }
  // Every log line through the redactor: URLs keep scheme and host, secrets are replaced.
  const logger = pino(
    { level: config.logging.level, base: { pid: process.pid }, hooks: { logMethod: redactingLogMethod } },
    pino.destination(2),
  );
  let agent: Agent;
  try {
    agent = await Agent.start({
      config,
      rulePaths: agentRulePaths(opts.rules, config),
      outputs: outputsConfig(opts, config),
      enforce: opts.enforce === true,
      logger,
    });
  } catch (err) {
    if (!(err instanceof AgentStartError)) throw err;
    process.stderr.write(`vigil: ${err.message}\n`);
    return 1;
  }
  await untilStopped(logger);
  await agent.stop();
  return 0;
}
