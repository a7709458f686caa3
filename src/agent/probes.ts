/**
 * The agent's probes across rule reloads: the Sensor is started for the event types the rules
 * need; a reload that needs no new type only rewrites the prefilters, one that does restarts
 * the sensor with the new set (a short gap, logged). Drops are accounted across the restart.
 */
import type { Logger } from 'pino';
import type { VigilConfig } from '../config/index.js';
import type { EventType, VigilEvent } from '../event/types.js';
import type { Engine } from '../engine/engine.js';
import type { Enforcer } from '../enforce/enforcer.js';
import { ContainerCatalog } from '../sensor/container-catalog.js';
import { PodDirectory } from '../sensor/k8s-pods.js';
import { deriveCapture } from '../plan/capture.js';
import { ContainerMetadataCache } from '../sensor/runtime/metadata-cache.js';
import { openSources } from '../sensor/runtime/open-sources.js';
import { deriveOpenFilter } from '../plan/open-filter.js';
import { deriveSocketFilter, formatSocketFilter } from '../plan/socket-filter.js';
import { deriveCloneWake } from '../plan/clone-wake.js';
import { formatOpenFilter, probeReasons } from '../sensor/probe-report.js';
import { Sensor } from '../sensor/sensor.js';
import type { DropWatch } from './drop-watch.js';

export interface ProbesOptions {
  config: VigilConfig;
  engine: Engine;
  enforcer: Enforcer;
  logger: Logger;
  onEvents: (events: VigilEvent[]) => void;
}

export class Probes {
  private current!: Sensor;
  private attached: ReadonlySet<EventType> = new Set();
  /** One pod table for the agent's life: a restarted sensor keeps what it learnt. */
  private readonly pods: PodDirectory;
  /** Container descriptions and the runtimes' metadata, kept across sensor restarts too. */
  readonly containers: ContainerCatalog;
  readonly metadata: ContainerMetadataCache | null;

  private constructor(private readonly opts: ProbesOptions) {
    this.pods = new PodDirectory({
      podsDir: opts.config.kubernetes.pods_dir,
      containersDir: opts.config.kubernetes.containers_dir,
    });
    const c = opts.config.containers;
    const self = { catalog: undefined as ContainerCatalog | undefined };
    this.metadata = c.enabled
      ? new ContainerMetadataCache({
          sources: openSources(c.runtimes, c.lookup_timeout_ms),
          max: c.cache_size,
          onChange: (id) => self.catalog?.forget(id),
          log: (msg, data) => opts.logger.warn(data, msg),
        })
      : null;
    this.containers = self.catalog = new ContainerCatalog(this.pods, c.cache_size, this.metadata);
    this.metadata?.watch();
  }

  /** Loads and attaches the probes the rules need; throws SensorUnavailable when it cannot. */
  static async start(opts: ProbesOptions): Promise<Probes> {
    const probes = new Probes(opts);
    try {
      await probes.attach(opts.engine.eventTypes());
    } catch (err) {
      probes.metadata?.close(); // its event streams would keep the process alive
      throw err;
    }
    if (probes.sensor.unavailableTypes.length > 0) {
      opts.logger.warn(
        { types: probes.sensor.unavailableTypes },
        'this kernel cannot report these event types; rules on them stay silent',
      );
    }
    if (probes.sensor.withheldTypes.length > 0) {
      opts.logger.info(
        { types: probes.sensor.withheldTypes },
        'no tracepoints for module loading here (no CONFIG_MODULES: loading can only fail): not watched; ' +
          'sensors.module_load_fallback: true watches the attempts with a program on every syscall',
      );
    }
    probes.log();
    return probes;
  }

  get sensor(): Sensor {
    return this.current;
  }

  get types(): ReadonlySet<EventType> {
    return this.attached;
  }

  /** After a reload: the new open prefilter, or new probes when the rules need new types. */
  async update(drops: DropWatch): Promise<void> {
    const need = this.opts.engine.eventTypes();
    if ([...need].every((t) => this.attached.has(t))) {
      const plan = deriveOpenFilter(this.opts.engine.ruleset.enabledRules);
      const sockets = deriveSocketFilter(this.opts.engine.ruleset.enabledRules);
      this.current.setOpenFilter(plan);
      this.current.setSocketFilter(sockets);
      this.current.setCloneWake(deriveCloneWake(this.opts.engine.ruleset.enabledRules).wake);
      this.current.setCapture(this.capture());
      this.opts.logger.info(
        { openFilter: formatOpenFilter(plan), socketFilter: formatSocketFilter(sockets) },
        'prefilters updated',
      );
      return;
    }
    drops.check((await this.current.stop()).dropped);
    drops.resetBaseline();
    await this.attach(need);
    this.log();
    this.opts.logger.warn(
      { types: [...need] },
      'probes re-attached for the new rules (events in between were not seen)',
    );
  }

  async stop(): Promise<ReturnType<Sensor['stats']>> {
    const last = await this.current.stop();
    this.metadata?.close();
    return last;
  }

  private async attach(types: ReadonlySet<EventType>): Promise<void> {
    const { config, engine, enforcer, logger, onEvents } = this.opts;
    this.current = await Sensor.start({
      types,
      onEvents,
      ringBytes: config.sensors.ring_buffer_bytes,
      maxProcesses: config.sensors.process_table_size,
      ancestorDepth: config.sensors.ancestor_depth,
      onMounts: (m: unknown) => logger.info({ mounts: m }, 'filesystems checked'),
      reuseMaps: enforcer.reuseMaps(),
      containers: this.containers,
      fallbacks: config.sensors.module_load_fallback,
      // Opens no loaded rule can match are dropped in the kernel.
      openFilter: deriveOpenFilter(engine.ruleset.enabledRules),
      // So are sockets of a domain and type no loaded rule can match.
      socketFilter: deriveSocketFilter(engine.ruleset.enabledRules),
      // Forks no rule can match keep the process table without waking the reader.
      cloneWake: deriveCloneWake(engine.ruleset.enabledRules).wake,
      capture: this.capture(),
    });
    // With BPF LSM: the sensor's links and maps join the objects no other process may change.
    enforcer.protectAgentObjects();
    this.attached = types;
  }

  /** evt.buffer's bytes and the containers' mounts, read only where a loaded rule reads them. */
  private capture(): ReturnType<typeof deriveCapture> {
    return deriveCapture(this.opts.engine.ruleset.enabledRules, this.opts.config.sensors.snaplen);
  }

  /** Which probes are on and why (the rules that need each event type): a rule's cost is visible. */
  private log(): void {
    const rules = this.opts.engine.ruleset.enabledRules;
    const probes = Object.fromEntries(
      probeReasons(rules, this.attached).map((r) => [
        r.type,
        { rules: r.rules, examples: r.names, processTable: r.processTable || undefined },
      ]),
    );
    const openFilter = formatOpenFilter(deriveOpenFilter(rules));
    const socketFilter = formatSocketFilter(deriveSocketFilter(rules));
    const clone = deriveCloneWake(rules);
    const forkWake = clone.why ?? `forks with 0x${clone.wake!.toString(16)}`;
    const { unavailableTypes: unavailable, withheldTypes: withheld } = this.current;
    const plan = this.capture();
    const capture = { buffer: Object.fromEntries(plan.buffer), mounts: [...plan.mounts] };
    this.opts.logger.info(
      { probes, unavailable, withheld, openFilter, socketFilter, forkWake, capture },
      'probes',
    );
  }
}
