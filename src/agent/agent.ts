/**
 * The agent: sensor -> detect -> outputs, with enforcement, metrics and health, rule reloads
 * (with a sensor restart when new event types are needed) and kernel-drop alerts. `vigil run`
 * composes it from the configuration; everything the agent does at run time starts here.
 */
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { VigilConfig } from '../config/index.js';
import type { Alert } from '../event/alert.js';
import type { VigilEvent } from '../event/types.js';
import { Engine } from '../engine/engine.js';
import { loadRuleset } from '../engine/load-ruleset.js';
import { RuleReloader } from '../engine/reload.js';
import type { Ruleset } from '../engine/ruleset.js';
import { Enforcer } from '../enforce/enforcer.js';
import { AgentMetrics, metricsToken, OpsListenError, startOpsServer, type OpsServer } from '../ops/index.js';
import {
  defaultDbPath,
  openEventPublishers,
  openOutputs,
  type NatsEventPublisher,
  type Outputs,
  type OutputsConfig,
  type StoreTamper,
} from '../outputs/index.js';
import { SensorUnavailable } from '../sensor/sensor.js';
import { agentAlert, storeTamperSpec } from './agent-alert.js';
import { agentHealth } from './agent-health.js';
import { configuredDetector, detect, type Detector } from './detect.js';
import { DropWatch, selfCreds } from './drop-watch.js';
import { MetadataWait } from './metadata-wait.js';
import { Probes } from './probes.js';
import { RepeatFold } from './repeat-fold.js';
import { agentLoadOptions } from './rule-paths.js';
import { logRuleWarnings } from './rule-warnings.js';

export interface AgentOptions {
  config: VigilConfig;
  /** Rule files and directories (agentRulePaths). */
  rulePaths: string[];
  /** The outputs section in force (the config's, with command-line overrides). */
  outputs: OutputsConfig;
  /** Carry out rule actions (else they alert as would-kill / would-deny). */
  enforce: boolean;
  logger: Logger;
}

/** The agent cannot start: one sentence for the user, no stack trace. */
export class AgentStartError extends Error {
  override name = 'AgentStartError';
}

/** The bundled self-protection rule (rules/05-self-protection.yaml): its repeats are counted. */
const TAMPER_RULE = 'Agent tampering';

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0];

export class Agent {
  readonly metrics = new AgentMetrics();
  private readonly detector: Detector;
  private readonly alerts: Alert[] = [];
  private probes: Probes | undefined;
  private ops: OpsServer | undefined;
  private drops: DropWatch | undefined;
  private reloader: RuleReloader | undefined;
  /** Repeats of 'Agent tampering' by one process and call. */
  private readonly tamperFold: RepeatFold;
  /** Repeats of any other rule by one user and program (an attacker's loop); off with burst 0. */
  private readonly repeatFold: RepeatFold | undefined;
  private readonly metadataWait: MetadataWait;
  /** Events published for the hub's playground (`events` of a `nats` sink); usually none. */
  private readonly eventPublishers: NatsEventPublisher[];

  private constructor(
    private readonly opts: AgentOptions,
    readonly engine: Engine,
    readonly enforcer: Enforcer,
    readonly outputs: Outputs,
  ) {
    this.detector = configuredDetector(opts.config, engine, enforcer);
    const engineCfg = opts.config.engine;
    const tamper = new Set([TAMPER_RULE]);
    this.tamperFold = new RepeatFold({
      rules: tamper,
      keyOf: (a) => `${a.event.proc.pid}\0${a.event.type}`,
      same: 'same process and call',
      intervalMs: engineCfg.tamper_repeat_interval * 1000,
      emit: (alert) => outputs.submit(alert),
    });
    this.repeatFold =
      engineCfg.repeat_burst > 0
        ? new RepeatFold({
            except: tamper,
            keyOf: (a) => `${a.event.user.uid}\0${a.event.proc.exe}\0${a.event.proc.container_id}`,
            same: 'same user, program and container',
            burst: engineCfg.repeat_burst,
            intervalMs: engineCfg.repeat_interval * 1000,
            emit: (alert) => outputs.submit(alert),
          })
        : undefined;
    this.metadataWait = new MetadataWait(
      () => this.probes?.containers,
      opts.config.containers.metadata_wait_ms,
      (ev) => this.decide(ev),
    );
    this.eventPublishers = openEventPublishers(opts.outputs, this.detector.hostname, opts.logger);
  }

  /** Loads the rules, opens enforcement and outputs, attaches the probes. Throws AgentStartError. */
  static async start(opts: AgentOptions): Promise<Agent> {
    const { engine, enforcer } = openDetection(opts);
    let outputs: Outputs;
    // The store's tamper notices reach the agent once it exists.
    const self: { agent?: Agent } = {};
    try {
      outputs = await openOutputs(opts.outputs, opts.logger, {
        onStoreTampered: (t) => self.agent?.storeTampered(t),
      });
    } catch (err) {
      enforcer.close();
      throw new AgentStartError((err as Error).message);
    }
    const agent = new Agent(opts, engine, enforcer, outputs);
    self.agent = agent;
    try {
      // Before any probe is loaded: a port taken by another agent on this host stops the start here.
      await agent.listen();
      agent.probes = await Probes.start({
        config: opts.config,
        engine,
        enforcer,
        logger: opts.logger,
        onEvents: (events) => agent.onEvents(events),
      });
    } catch (err) {
      await agent.closeAll();
      if (err instanceof SensorUnavailable) throw new AgentStartError(err.message);
      throw err;
    }
    agent.watchDrops();
    agent.watchRules();
    agent.wireMetrics();
    agent.metrics.setReady(true);
    opts.logger.info({ types: [...agent.probes.types].sort(), hostname: agent.detector.hostname }, 'ready');
    return agent;
  }

  /** The hot path: each batch of the ring buffer through detect to the outputs. */
  private onEvents(events: VigilEvent[]): void {
    const t0 = process.hrtime.bigint();
    for (const ev of events) {
      this.metrics.eventReceived(ev.type);
      // A new container's first events wait (bounded) for its runtime metadata.
      if (!this.metadataWait.hold(ev)) this.decide(ev);
    }
    this.metrics.evaluationTime(Number(process.hrtime.bigint() - t0) / 1e9 / events.length, events.length);
    for (const p of this.eventPublishers) p.offer(events);
  }

  private decide(ev: VigilEvent): void {
    const alerts = this.alerts;
    if (detect(ev, this.detector, alerts) === 'evaluated') this.metrics.eventEvaluated(ev.type);
    for (let i = 0; i < alerts.length; i++) {
      const a = alerts[i];
      this.metrics.ruleMatched(a.rule);
      if (this.tamperFold.admit(a) && (this.repeatFold?.admit(a) ?? true)) this.outputs.submit(a);
    }
    alerts.length = 0;
  }

  /** Stops the probes (delivering what the ring holds), then enforcement, outputs and endpoints. */
  async stop(): Promise<void> {
    const last = await this.closeAll();
    this.opts.logger.info({ dropped: last?.dropped, records: last?.records }, 'stopped');
  }

  private async closeAll(): Promise<{ dropped: number; records: number } | undefined> {
    this.reloader?.close();
    this.drops?.stop();
    const last = await this.probes?.stop();
    if (last !== undefined) this.drops?.check(last.dropped);
    this.metadataWait.flush();
    this.tamperFold.close();
    this.repeatFold?.close();
    this.enforcer.close();
    await Promise.all(this.eventPublishers.map((p) => p.close()));
    await this.outputs.close();
    await this.ops?.close();
    return last;
  }

  private async listen(): Promise<void> {
    const { config, logger } = this.opts;
    if (!config.metrics.enabled) return;
    const token = this.resolveMetricsToken();
    try {
      this.ops = await startOpsServer({
        listen: config.metrics.listen,
        token,
        metrics: this.metrics,
        health: agentHealth({
          sensor: () => this.probes?.sensor.stats(),
          outputs: this.outputs,
          startedAt: Date.now(),
        }),
      });
    } catch (err) {
      if (!(err instanceof OpsListenError)) throw err;
      throw new AgentStartError(
        `metrics.listen: ${err.message}; set metrics.listen in the config to a free host:port ` +
          '(or metrics.enabled: false)',
      );
    }
    logger.info({ listen: `${this.ops.host}:${this.ops.port}` }, 'metrics and health endpoints listening');
  }

  /** metrics.token, or the one kept beside the alert store (generated on the first start). */
  private resolveMetricsToken(): string {
    const dir = dirname(this.opts.outputs.store?.path ?? defaultDbPath());
    let t: ReturnType<typeof metricsToken>;
    try {
      t = metricsToken(this.opts.config.metrics.token, dir);
    } catch (err) {
      throw new AgentStartError(`metrics.token: ${firstLine(err)}`);
    }
    if (t.source === 'generated') this.opts.logger.info({ file: t.file }, 'metrics token generated');
    if (t.source === 'tightened') {
      this.opts.logger.warn({ file: t.file }, 'metrics token file was readable by others: mode set to 0600');
    }
    return t.token;
  }

  /** A blind spot is a security event: kernel drops become Critical alerts on the outputs path. */
  private watchDrops(): void {
    const sensor = () => this.probes!.sensor;
    this.drops = new DropWatch({
      readDropped: () => sensor().stats().dropped,
      ringBytes: () => this.opts.config.sensors.ring_buffer_bytes,
      agentProcess: () => sensor().table.info(process.pid, selfCreds()),
      userName: (uid) => sensor().users.userName(uid),
      groupName: (gid) => sensor().users.groupName(gid),
      onAlert: (alert) => {
        this.opts.logger.error(
          { dropped: alert.output_fields['vigil.dropped'] },
          'events dropped by the kernel',
        );
        this.outputs.submit(alert);
      },
      hostname: this.detector.hostname,
    });
    this.drops.start();
  }

  /** The store file was deleted, replaced or moved (a fresh one is open): a Critical alert. */
  private storeTampered(t: StoreTamper): void {
    const sensor = this.probes?.sensor;
    const proc = sensor?.table.info(process.pid, selfCreds());
    if (sensor === undefined || proc === undefined) return; // not started yet: the log says it
    const names = { user: sensor.users.userName(proc.uid), group: sensor.users.groupName(proc.gid) };
    this.outputs.submit(agentAlert(storeTamperSpec(t), proc, names, this.detector.hostname));
  }

  /** Reload: the new ruleset is built in full, then swapped; the policy and probes follow it. */
  private watchRules(): void {
    const { config, logger, rulePaths } = this.opts;
    const reloader = new RuleReloader(this.engine, rulePaths, 'first', 200, agentLoadOptions(config, true));
    reloader.on('error', (err) =>
      logger.error({ err: err.message }, 'rule reload failed; the previous rules keep running'),
    );
    reloader.on('reload', (rs) => this.onReload(rs));
    if (config.rules.watch) reloader.watch();
    reloader.onSighup();
    this.reloader = reloader;
  }

  private onReload(rs: Ruleset): void {
    const logger = this.opts.logger;
    logger.info({ rules: rs.enabledRules.length }, 'rules reloaded');
    logRuleWarnings(logger, rs);
    try {
      this.enforcer.setRules(rs.enabledRules);
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'enforcement policy could not be updated');
    }
    this.probes!.update(this.drops!).catch((err) =>
      logger.error({ err: (err as Error).message }, 'probes could not be re-attached'),
    );
  }

  private wireMetrics(): void {
    const sensor = () => this.probes!.sensor;
    this.metrics.setSources({
      kernelDrops: () => sensor().stats().dropped,
      processTableSize: () => sensor().table.size,
      rulesLoaded: () => this.engine.ruleset.enabledRules.length,
      eventsPublished: () => this.eventPublishers.map((p) => p.stats()),
      containers: () => ({ cache: this.probes!.metadata?.stats(), waits: this.metadataWait.stats() }),
      sinks: () =>
        this.outputs.health().sinks.map((s) => ({
          sink: s.name,
          delivered: s.delivered,
          failed: s.dropped,
          sent: s.sent,
          sendFailures: s.failedAttempts,
          pending: s.pending,
          healthy: s.state === 'ok',
        })),
    });
  }
}

/** `outputs.alert_fields.env`: true, or the names listed. */
/** The rules and the enforcer for them; what goes wrong is said in one sentence. */
function openDetection(opts: AgentOptions): { engine: Engine; enforcer: Enforcer } {
  const { config, logger } = opts;
  let engine: Engine;
  try {
    engine = new Engine(loadRuleset(opts.rulePaths, 'first', agentLoadOptions(config, true)));
  } catch (err) {
    throw new AgentStartError((err as Error).message);
  }
  let enforcer: Enforcer;
  try {
    enforcer = Enforcer.open(engine.ruleset.enabledRules, {
      enabled: opts.enforce || config.enforcement.enabled,
      allow: config.enforcement.allow,
      log: (msg, data) => logger.warn(data ?? {}, msg),
      ringBytes: config.sensors.ring_buffer_bytes,
    });
  } catch (err) {
    throw new AgentStartError(`enforcement cannot start: ${firstLine(err)}`);
  }
  const plans = enforcer.allPlans();
  logger.info(
    {
      enabled: enforcer.enabled,
      kernel: plans.filter((p) => p.mode === 'kernel').length,
      userspace: plans.filter((p) => p.mode === 'userspace').length,
    },
    enforcer.enabled ? 'enforcement on' : 'enforcement off (rule actions alert as would-*)',
  );
  const info = engine.ruleset.info;
  logger.info(
    { files: info.files.length, rules: engine.ruleset.enabledRules.length, skipped: info.skipped.length },
    'rules loaded',
  );
  logRuleWarnings(logger, engine.ruleset);
  return { engine, enforcer };
}
