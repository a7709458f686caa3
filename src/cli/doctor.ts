/**
 * `vigil doctor [--config F] [--json]`: one line per check, with what it means for detection and
 * enforcement, and the configuration and its rules loaded as `vigil run` loads them.
 * Exit 0 ready, 1 vigil cannot run on this host, 2 the configuration is invalid (run below).
 */
import { probeKernelFeatures, type CheckStatus, type KernelFeatures } from '../kernel/kernel-features.js';
import { loadConfig, type VigilConfig } from '../config/index.js';
import { agentLoadOptions, agentRulePaths } from '../agent/rule-paths.js';
import { loadRuleset } from '../engine/load-ruleset.js';
import {
  formatOpenFilter,
  formatProbeReasons,
  moduleLoadReport,
  probeReasons,
  type ProbeReason,
} from '../sensor/probe-report.js';
import { deriveOpenFilter } from '../plan/open-filter.js';
import { deriveSocketFilter, formatSocketFilter } from '../plan/socket-filter.js';
import { podSourceReport } from '../sensor/k8s-pods.js';
import { runtimeChecks } from '../sensor/runtime/doctor-report.js';

export interface DoctorOptions {
  json?: boolean;
  config?: string;
}

const MARK: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', info: 'info' };

export function formatReport(report: KernelFeatures): string {
  const width = Math.max(...report.checks.map((c) => c.title.length));
  const lines = report.checks.map(
    (c) => `[${MARK[c.status]}] ${c.title.padEnd(width)}  ${c.detail} => ${c.meaning}`,
  );
  lines.push(
    '',
    report.canRun
      ? `vigil can run here; enforcement: ${report.enforcement}`
      : 'vigil cannot run here: fix the FAIL lines above',
  );
  return lines.join('\n') + '\n';
}

/** What the configuration gives the doctor, and every reason `vigil run` would refuse it. */
interface ConfigCheck {
  file: string | null;
  ringBufferBytes?: number;
  podsDir?: string;
  moduleLoadFallback?: boolean;
  containers?: VigilConfig['containers'];
  /** The rule paths the configuration names (the probes are listed for these). */
  namedRules: string[];
  probes: ProbeReason[] | null;
  openFilter: string | null;
  socketFilter: string | null;
  errors: string[];
}

/** Loads the configuration and the rules `vigil run` would load with it, as it would (trust checks included). */
function checkConfig(path: string | undefined): ConfigCheck {
  const check: ConfigCheck = {
    file: path ?? null,
    namedRules: [],
    probes: null,
    openFilter: null,
    socketFilter: null,
    errors: [],
  };
  let config: VigilConfig;
  try {
    const loaded = loadConfig(path);
    config = loaded.config;
    check.file = loaded.file;
  } catch (err) {
    check.errors.push(`config: ${(err as Error).message}`);
    return check;
  }
  check.ringBufferBytes = config.sensors.ring_buffer_bytes;
  check.podsDir = config.kubernetes.pods_dir;
  check.moduleLoadFallback = config.sensors.module_load_fallback;
  check.containers = config.containers;
  check.namedRules = config.rules.paths;
  try {
    const rs = loadRuleset(agentRulePaths(undefined, config), 'first', agentLoadOptions(config, true));
    if (check.namedRules.length > 0) {
      check.probes = probeReasons(rs.enabledRules, rs.eventTypes());
      check.openFilter = formatOpenFilter(deriveOpenFilter(rs.enabledRules));
      check.socketFilter = formatSocketFilter(deriveSocketFilter(rs.enabledRules));
    }
  } catch (err) {
    check.errors.push(`rules: ${(err as Error).message}`);
  }
  return check;
}

/**
 * Exit 0: vigil can run here with this configuration; 1: it cannot run on this host (the FAIL
 * lines); 2: the configuration or a rule file it loads is invalid, what `vigil run` refuses before
 * it touches the kernel, so it is reported first.
 */
export async function run(opts: DoctorOptions): Promise<number> {
  const cfg = checkConfig(opts.config);
  const report = await probeKernelFeatures({ ringBufferBytes: cfg.ringBufferBytes });
  const pods = podSourceReport(cfg.podsDir ?? '/var/log/pods');
  report.checks.push({ id: 'k8s_metadata', title: 'pod metadata', status: 'info', ...pods });
  const modules = moduleLoadReport(cfg.moduleLoadFallback ?? false);
  report.checks.push({ id: 'module_events', title: 'module loading', ...modules });
  const c = cfg.containers;
  report.checks.push(
    ...(await runtimeChecks(c?.runtimes ?? [], c?.lookup_timeout_ms ?? 2000, c?.enabled ?? true)),
  );
  const { probes, openFilter, socketFilter } = cfg;
  const config = { file: cfg.file, valid: cfg.errors.length === 0, errors: cfg.errors };
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ...report, probes, openFilter, socketFilter, config }) + '\n');
  } else {
    process.stdout.write(formatReport(report));
    if (probes !== null) {
      process.stdout.write(
        `\nprobes for the rules in ${cfg.namedRules.join(', ')} (event type: why it is on)\n`,
      );
      for (const line of formatProbeReasons(probes)) process.stdout.write(`  ${line}\n`);
      process.stdout.write(`  open prefilter: ${openFilter}\n`);
      process.stdout.write(`  socket prefilter: ${socketFilter}\n`);
    }
    if (!config.valid) {
      process.stdout.write(
        `\nvigil run would refuse the configuration ${cfg.file ?? '(defaults)'}: errors on stderr\n`,
      );
    }
  }
  for (const e of cfg.errors) process.stderr.write(`vigil doctor: ${e}\n`);
  if (!config.valid) return 2;
  return report.canRun ? 0 : 1;
}
