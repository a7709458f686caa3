/** Alerts for the output benchmarks: made one at a time when asked, as the engine makes them. */
import type { Alert } from '../src/event/alert.js';
import { makeAlert } from '../test/outputs/support/alerts.js';

/** Alert number i (its own uuid, time and output) from one base alert. */
export function benchAlerts(): (i: number) => Alert {
  const base = makeAlert(0);
  return (i) => ({
    ...base,
    uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    time: new Date(Date.UTC(2026, 10, 23) + i).toISOString(),
    output: `${base.output} #${i}`,
  });
}
