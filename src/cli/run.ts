/**
 * `vigil run`: the agent. Wires the parts of DESIGN.md's data flow together:
 * sensor batches -> rule engine -> alerts -> outputs (store, outbox, sinks),
 * with metrics, health, SIGHUP reload and SIGTERM shutdown. No detection logic
 * lives here: each part is its own module.
 */
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { loadConfig, resolveHostname, bundledRulesDir, type VigilConfig } from '../config/index.js';
import type { Priority } from '../event/alert.js';
import type { EventType, VigilEvent } from '../event/types.js';
import { buildAlert } from '../engine/alert.js';
import { Engine } from '../engine/engine.js';
import { loadRuleset, ruleFiles, type LoadOptions } from '../engine/load.js';
import { RuleReloader } from '../engine/reload.js';
import { AgentMetrics, OpsListenError, startOpsServer, type OpsServer } from '../ops/index.js';
import type { OutputsConfig, SinkConfig } from '../outputs/config.js';
import { openOutputs, type Outputs } from '../outputs/pipeline.js';
import { Sensor, SensorUnavailable } from '../sensor/sensor.js';
import { Enforcer } from '../enforce/enforcer.js';
import { denialAlert } from '../enforce/denials.js';
import { denialOf } from '../sensor/decode.js';
import { DropWatch, selfCreds } from '../sensor/drop-watch.js';
import { formatOpenFilter, probeReasons } from '../sensor/probe-report.js';
import { deriveOpenFilter } from '../sensor/open-filter.js';
import { PodDirectory } from '../sensor/k8s-pods.js';

export interface RunOptions {
  config?: string;
  rules?: string[];
  db?: string;
  enforce?: boolean;
  json?: boolean;
}

/** The rule paths in force: --rules, else the config's, else the bundled rules/. */
function rulePaths(opts: RunOptions, config: VigilConfig): string[] {
  if (opts.rules && opts.rules.length > 0) return withSelfProtection(opts.rules);
  if (config.rules.paths.length > 0) return withSelfProtection(config.rules.paths);
  return [bundledRulesDir()];
}

/**
 * The self-protection rule (Agent tampering) is on whatever the rule paths: its file is loaded
 * first when the paths do not include it, so that a later file can tune it (exceptions, or
 * engine.disabled_rules to turn it off).
 */
function withSelfProtection(paths: string[]): string[] {
  const file = resolve(bundledRulesDir(), '05-self-protection.yaml');
  let files: string[] = [];
  try {
    files = ruleFiles(paths);
  } catch {
    // A path that does not exist: the load reports it.
  }
  return files.some((f) => resolve(f) === file) ? paths : [file, ...paths];
}

/** The outputs section, with the command line's --db and --json applied on top. */
function outputsConfig(opts: RunOptions, config: VigilConfig): OutputsConfig {
  const out = structuredClone(config.outputs) as OutputsConfig;
  if (opts.db) out.store = { ...out.store, path: opts.db };
  if (opts.json) {
    const sinks: SinkConfig[] = out.sinks ?? [{ type: 'stdout' }];
    out.sinks = sinks.map((s) => (s.type === 'stdout' ? { ...s, format: 'json' } : s));
    if (!out.sinks.some((s) => s.type === 'stdout')) out.sinks.push({ type: 'stdout', format: 'json' });
  }
  return out;
}

/** How the agent loads rules: trusted files only (a rule file is code that runs as root), and the
 * configuration's disabling applied. The same for the first load and every reload. */
function loadOptions(config: VigilConfig): LoadOptions {
  return {
    trusted: true,
    minPriority: config.engine.min_priority as Priority,
    disabledRules: config.engine.disabled_rules,
    disabledTags: config.engine.disabled_tags,
  };
}

export async function run(opts: RunOptions): Promise<number> {
  let config: VigilConfig;
  try {
    config = loadConfig(opts.config).config;
  } catch (err) {
    process.stderr.write(`vigil: ${(err as Error).message}\n`);
    return 1;
  }
  const logger: Logger = pino(
    { level: config.logging.level, base: { pid: process.pid } },
    pino.destination(2),
  );

  const paths = rulePaths(opts, config);
  let engine: Engine;
  try {
    engine = new Engine(loadRuleset(paths, 'first', loadOptions(config)));
  } catch (err) {
    process.stderr.write(`vigil: ${(err as Error).message}\n`);
    return 1;
  }
  let enforcer: Enforcer;
  try {
    enforcer = Enforcer.open(engine.ruleset.enabledRules, {
      enabled: opts.enforce === true || config.enforcement.enabled,
      allow: config.enforcement.allow,
      log: (msg, data) => logger.warn(data ?? {}, msg),
      ringBytes: config.sensors.ring_buffer_bytes,
    });
  } catch (err) {
    process.stderr.write(`vigil: enforcement cannot start: ${(err as Error).message.split('\n')[0]}\n`);
    return 1;
  }
  logger.info(
    {
      enabled: enforcer.enabled,
      kernel: enforcer.allPlans().filter((p) => p.mode === 'kernel').length,
      userspace: enforcer.allPlans().filter((p) => p.mode === 'userspace').length,
    },
    enforcer.enabled ? 'enforcement on' : 'enforcement off (rule actions alert as would-*)',
  );
  const info = engine.ruleset.info;
  logger.info(
    { files: info.files.length, rules: engine.ruleset.enabledRules.length, skipped: info.skipped.length },
    'rules loaded',
  );

  const hostname = resolveHostname(config);
  const metrics = new AgentMetrics();
  let outputs: Outputs;
  try {
    outputs = await openOutputs(outputsConfig(opts, config), logger);
  } catch (err) {
    process.stderr.write(`vigil: ${(err as Error).message}\n`);
    return 1;
  }

  // Before any probe is loaded: a port taken by another agent on this host stops the start here.
  let ops: OpsServer | undefined;
  if (config.metrics.enabled) {
    try {
      ops = await startOpsServer({
        listen: config.metrics.listen,
        token: config.metrics.token,
        metrics,
        health: () => {
          const h = outputs.health();
          const problems = h.sinks.filter((s) => s.state !== 'ok').map((s) => `sink ${s.name} ${s.state}`);
          if (h.store.state === 'failing') problems.push(`store failing: ${h.store.lastError ?? ''}`);
          return { ok: problems.length === 0, problems };
        },
      });
    } catch (err) {
      await outputs.close();
      enforcer.close();
      if (!(err instanceof OpsListenError)) throw err;
      process.stderr.write(
        `vigil: metrics.listen: ${err.message}; set metrics.listen in the config to a free host:port ` +
          '(or metrics.enabled: false)\n',
      );
      return 1;
    }
    logger.info({ listen: `${ops.host}:${ops.port}` }, 'metrics and health endpoints listening');
  }

  const ignoreExe = new Set(config.sensors.ignore.exe);
  const ignoreComm = new Set(config.sensors.ignore.comm);
  const onEvents = (events: VigilEvent[]): void => {
    const t0 = process.hrtime.bigint();
    for (const ev of events) {
      metrics.eventReceived(ev.type);
      // A BPF LSM denial: the alert of the rule that denied, and nothing else (it never happened).
      const denied = denialOf(ev);
      if (denied !== undefined) {
        const alert = denialAlert(enforcer, denied, ev, hostname);
        if (alert) {
          metrics.ruleMatched(alert.rule);
          outputs.submit(alert);
        }
        continue;
      }
      if (ignoreExe.has(ev.proc.exe) || ignoreComm.has(ev.proc.comm)) continue;
      metrics.eventEvaluated(ev.type);
      const matches = engine.evaluate(ev);
      for (let i = 0; i < matches.length; i++) {
        const rule = matches[i];
        const alert = buildAlert(rule, ev, hostname);
        const verdict = enforcer.onMatch(rule, ev);
        if (verdict.reported) continue;
        alert.action = verdict.action;
        if (rule.action !== undefined) alert.enforcement = verdict.enforcement;
        metrics.ruleMatched(rule.name);
        outputs.submit(alert);
      }
    }
    metrics.evaluationTime(Number(process.hrtime.bigint() - t0) / 1e9 / events.length, events.length);
  };

  // One pod table for the agent's life: a sensor restarted by a reload keeps what it learnt.
  const pods = new PodDirectory({
    podsDir: config.kubernetes.pods_dir,
    containersDir: config.kubernetes.containers_dir,
  });
  const sensorOptions = (types: ReadonlySet<EventType>) => ({
    types,
    onEvents,
    ringBytes: config.sensors.ring_buffer_bytes,
    maxProcesses: config.sensors.process_table_size,
    ancestorDepth: config.sensors.ancestor_depth,
    onMounts: (m: unknown) => logger.info({ mounts: m }, 'filesystems checked'),
    reuseMaps: enforcer.reuseMaps(),
    pods,
    // Opens no loaded rule can match are dropped in the kernel (derived again on each reload).
    openFilter: deriveOpenFilter(engine.ruleset.enabledRules),
  });

  let sensor: Sensor;
  try {
    sensor = await Sensor.start(sensorOptions(engine.eventTypes()));
  } catch (err) {
    await outputs.close();
    enforcer.close();
    if (err instanceof SensorUnavailable) {
      process.stderr.write(`vigil: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (sensor.unavailableTypes.length > 0) {
    logger.warn(
      { types: sensor.unavailableTypes },
      'this kernel cannot report these event types; rules on them stay silent',
    );
  }

  // A blind spot is a security event: kernel drops become Critical alerts on the outputs path.
  const drops = new DropWatch({
    readDropped: () => sensor.stats().dropped,
    ringBytes: () => config.sensors.ring_buffer_bytes,
    agentProcess: () => sensor.table.info(process.pid, selfCreds()),
    userName: (uid) => sensor.users.userName(uid),
    groupName: (gid) => sensor.users.groupName(gid),
    onAlert: (alert) => {
      logger.error({ dropped: alert.output_fields['vigil.dropped'] }, 'events dropped by the kernel');
      outputs.submit(alert);
    },
    hostname,
  });
  drops.start();

  metrics.setSources({
    kernelDrops: () => sensor.stats().dropped,
    processTableSize: () => sensor.table.size,
    rulesLoaded: () => engine.ruleset.enabledRules.length,
    sinks: () =>
      outputs.health().sinks.map((s) => ({
        sink: s.name,
        delivered: s.delivered,
        failed: s.dropped,
        pending: s.queued + s.outboxLag,
        healthy: s.state === 'ok',
      })),
  });
  // Reload: the new ruleset is built in full, then swapped; when it needs event types the running
  // probes do not report, the sensor is restarted with the new set (a short gap, logged).
  const reloader = new RuleReloader(engine, paths, 'first', 200, loadOptions(config));
  reloader.on('error', (err) =>
    logger.error({ err: err.message }, 'rule reload failed; the previous rules keep running'),
  );
  let attached: ReadonlySet<EventType> = engine.eventTypes();
  reloader.on('reload', (rs) => {
    logger.info({ rules: rs.enabledRules.length }, 'rules reloaded');
    try {
      enforcer.setRules(rs.enabledRules);
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'enforcement policy could not be updated');
    }
    const need = engine.eventTypes();
    if ([...need].every((t) => attached.has(t))) {
      const plan = deriveOpenFilter(rs.enabledRules);
      sensor.setOpenFilter(plan);
      logger.info({ openFilter: formatOpenFilter(plan) }, 'open prefilter updated');
      return;
    }
    void (async () => {
      drops.check(await sensor.stop().then((st) => st.dropped));
      drops.resetBaseline();
      sensor = await Sensor.start(sensorOptions(need));
      attached = need;
      logProbes();
      logger.warn(
        { types: [...need] },
        'probes re-attached for the new rules (events in between were not seen)',
      );
    })().catch((err) => logger.error({ err: (err as Error).message }, 'probes could not be re-attached'));
  });
  if (config.rules.watch) reloader.watch();
  reloader.onSighup();

  // Which probes are on and why (the rules that need each event type): the cost of a rule is visible.
  function logProbes(): void {
    const probes = Object.fromEntries(
      probeReasons(engine.ruleset.enabledRules, attached).map((r) => [
        r.type,
        { rules: r.rules, examples: r.names, processTable: r.processTable || undefined },
      ]),
    );
    const openFilter = formatOpenFilter(deriveOpenFilter(engine.ruleset.enabledRules));
    logger.info({ probes, unavailable: sensor.unavailableTypes, openFilter }, 'probes');
  }
  logProbes();
  metrics.setReady(true);
  logger.info({ types: [...attached].sort(), hostname }, 'ready');

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  reloader.close();
  drops.stop();
  const last = await sensor.stop();
  drops.check(last.dropped);
  enforcer.close();
  await outputs.close();
  await ops?.close();
  logger.info({ dropped: last.dropped, records: last.records }, 'stopped');
  return 0;
}
