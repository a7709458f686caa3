import type { VigilEvent } from './types.js';

/** Falco's priority levels, most severe first (the order is used for thresholds). */
export const PRIORITIES = [
  'Emergency',
  'Alert',
  'Critical',
  'Error',
  'Warning',
  'Notice',
  'Informational',
  'Debug',
] as const;
export type Priority = (typeof PRIORITIES)[number];

/** What vigil did about an alert. `would-*` are monitor mode. */
export type AlertAction = 'alert' | 'killed' | 'denied' | 'would-kill' | 'would-deny';

/**
 * The alert JSON (docs/architecture.md, "Alerts"): a superset of Falco's JSON output. Stable: SIEM
 * parsers, falcosidekick and tests read it. Add keys; never rename one.
 */
export interface Alert {
  uuid: string;
  /** RFC 3339 with nanoseconds, UTC. */
  time: string;
  hostname: string;
  rule: string;
  priority: Priority;
  source: 'syscall';
  tags: string[];
  output: string;
  /** Every field the output template names, as Falco fills them (`<NA>` when unknown). */
  output_fields: Record<string, string | number | boolean | null>;
  action: AlertAction;
  /**
   * Present when the rule has an action: who acted. `kernel`: in the probe, in the same syscall;
   * `userspace`: SIGKILL by pidfd after the alert (asynchronous); `monitor`; `allowed` (allow-list).
   * `class`: what the action gets (kernel-deny, kernel-exec-kill, kernel-kill-after,
   * userspace-kill: src/plan/enforcement.ts), the same in monitor mode (replay) as with --enforce.
   */
  enforcement?: {
    mode: 'kernel' | 'userspace' | 'monitor' | 'allowed';
    class?: string;
    reason?: string;
    outcome?: string;
  };
  event: VigilEvent;
}
