/**
 * `vigil doctor [--json]`: one line per check, with what it means for detection
 * and enforcement. Exits 1 only when vigil cannot run at all on this host.
 */
import { probeKernelFeatures, type CheckStatus, type KernelFeatures } from '../sensor/kernel-features.js';
import { loadConfig } from '../config/index.js';
import { loadRuleset } from '../engine/load.js';
import {
  formatOpenFilter,
  formatProbeReasons,
  probeReasons,
  type ProbeReason,
} from '../sensor/probe-report.js';
import { deriveOpenFilter } from '../sensor/open-filter.js';

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

export async function run(opts: DoctorOptions): Promise<number> {
  // The configured ring buffer size is what the doctor tries to allocate; a bad config is reported, not fatal.
  let ringBufferBytes: number | undefined;
  let podsDir: string | undefined;
  let rulePaths: string[] = [];
  let configNote = '';
  try {
    const { config } = loadConfig(opts.config);
    ringBufferBytes = config.sensors.ring_buffer_bytes;
    podsDir = config.kubernetes.pods_dir;
    rulePaths = config.rules.paths;
  } catch (err) {
    configNote = `config: ${(err as Error).message}\n`;
  }
  const report = await probeKernelFeatures({ ringBufferBytes, podsDir });
  // The probes `vigil run` would attach with these rules, and the rules that need each one.
  let probes: ProbeReason[] | null = null;
  let openFilter: string | null = null;
  try {
    if (rulePaths.length > 0) {
      const rs = loadRuleset(rulePaths);
      probes = probeReasons(rs.enabledRules, rs.eventTypes());
      openFilter = formatOpenFilter(deriveOpenFilter(rs.enabledRules));
    }
  } catch (err) {
    configNote += `rules: ${(err as Error).message.split('\n')[0]}\n`;
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ...report, probes, openFilter }) + '\n');
  } else {
    process.stdout.write(formatReport(report));
    if (probes !== null) {
      process.stdout.write(`\nprobes for the rules in ${rulePaths.join(', ')} (event type: why it is on)\n`);
      for (const line of formatProbeReasons(probes)) process.stdout.write(`  ${line}\n`);
      process.stdout.write(`  open prefilter: ${openFilter}\n`);
    }
  }
  if (configNote) process.stderr.write(configNote);
  return report.canRun ? 0 : 1;
}
