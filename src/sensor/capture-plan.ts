/**
 * What the sensor reads beyond the records, for the loaded rules (derived in src/plan/capture.ts):
 * the container's mounts (container.mount*) on some event types, and the first bytes of I/O calls'
 * data (evt.buffer) on others.
 */
import type { EventType } from '../event/table.js';

export interface CapturePlan {
  /** Event types whose events carry event.container.mounts. */
  readonly mounts: ReadonlySet<EventType>;
  /** Event types whose data the kernel copies (rows with `buffer`), and at most how many bytes. */
  readonly buffer: ReadonlyMap<EventType, number>;
}

export const NO_CAPTURE: CapturePlan = { mounts: new Set(), buffer: new Map() };
