/**
 * The store's threads (writer, checkpointer) run at a lower priority than the event loop that runs
 * detection and writes stdout: on a 2-core node a commit or a checkpoint's page copy then waits for
 * the detection thread instead of delaying it. Linux lets a thread set its own nice value through
 * its thread id.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Nice value of the store's threads: below the event loop, still well above idle. */
export const STORE_THREAD_NICE = 5;

/** Lowers the calling thread's priority; a failure (no /proc, a container's limits) changes nothing. */
export function yieldToDetection(nice = STORE_THREAD_NICE): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // priority is an optimisation
  }
}
