/**
 * Which probes are on and why: for each event type the sensor reports, the
 * rules that need it (or that the process table does). Printed by `vigil run`
 * (the `probes` log line) and `vigil doctor`, so a user can see what a rule
 * costs and why a tracepoint is attached.
 */
import type { EventType } from '../event/types.js';
import type { OpenFilterPlan } from './open-filter-plan.js';
import { ALWAYS_ON_TYPES, attachable } from './sensor.js';

export interface ProbeReason {
  type: EventType;
  /** Rules whose condition can match this type (at most `maxNames` named, `rules` counts all). */
  rules: number;
  names: string[];
  /** On for the process table whatever the rules say. */
  processTable: boolean;
}

/** `rules`: enabled rules with their event types (null = any type). */
export function probeReasons(
  rules: readonly { name: string; eventTypes: ReadonlySet<EventType> | null }[],
  attached: ReadonlySet<EventType>,
  maxNames = 3,
): ProbeReason[] {
  const always = new Set<EventType>(ALWAYS_ON_TYPES);
  const out: ProbeReason[] = [];
  for (const type of [...new Set([...always, ...attached])].sort()) {
    const need = rules.filter((r) => r.eventTypes === null || r.eventTypes.has(type));
    out.push({
      type,
      rules: need.length,
      names: need.slice(0, maxNames).map((r) => r.name),
      processTable: always.has(type),
    });
  }
  return out;
}

/** One line per type: `openat  12 rules: A, B, C, ...` */
export function formatProbeReasons(reasons: readonly ProbeReason[]): string[] {
  const width = Math.max(0, ...reasons.map((r) => r.type.length));
  return reasons.map((r) => {
    const why: string[] = [];
    if (r.processTable) why.push('process table');
    if (r.rules > 0) {
      const more = r.rules > r.names.length ? `, +${r.rules - r.names.length} more` : '';
      why.push(`${r.rules} rule${r.rules === 1 ? '' : 's'}: ${r.names.join(', ')}${more}`);
    }
    return `${r.type.padEnd(width)}  ${why.join('; ')}`;
  });
}

/** The open prefilter in one line: what it holds when on, why not when off. */
export function formatOpenFilter(plan: OpenFilterPlan): string {
  if (!plan.on) return `off: ${plan.off ?? 'no rule needs opens'}`;
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  return (
    `on: opens no rule can match are dropped in the kernel (${n(plan.rules, 'rule')} on opens: ` +
    `${n(plan.prefixes.size, 'path')} and prefixes, ${n(plan.suffixes.size, 'suffix')}`.replace(
      'suffixs',
      'suffixes',
    ) +
    `, ${n(plan.components.size, 'component')})`
  );
}

/** `vigil doctor`'s line on module loading: its tracepoints, or the stand-in program and its setting. */
export function moduleLoadReport(fallback: boolean): {
  status: 'ok' | 'info';
  detail: string;
  meaning: string;
} {
  if (attachable('tracepoint/syscalls/sys_enter_finit_module')) {
    return {
      status: 'ok',
      detail: 'init_module/finit_module tracepoints',
      meaning: 'module loads are watched',
    };
  }
  const detail = 'no module tracepoints (no CONFIG_MODULES: loading a module can only fail)';
  return fallback
    ? {
        status: 'info',
        detail,
        meaning: 'attempts watched by a program on every syscall exit (sensors.module_load_fallback)',
      }
    : {
        status: 'info',
        detail,
        meaning: 'attempts not watched (sensors.module_load_fallback: true watches them)',
      };
}
