/**
 * Repeated tampering as one counted alert. A tracer attached to the agent, or a loop writing its
 * maps, makes one matching syscall after another; each would be an 'Agent tampering' alert. Per
 * (process, kind) the first alert goes out at once; the repeats within the interval are counted
 * and come out as one follow-up alert carrying `vigil.repeats` when the interval ends. The agent
 * applies it to detect()'s output, so detect() (and with it replay and rule tests) stays a pure
 * function of the event (docs/architecture.md, "Repeated tampering").
 */
import { randomUUID } from 'node:crypto';
import type { Alert } from '../event/alert.js';

export interface RepeatFoldOptions {
  /** Rules folded (by name); alerts of other rules pass as they are. */
  rules: ReadonlySet<string>;
  /** The interval, in milliseconds. */
  intervalMs: number;
  /** Where follow-up alerts go. */
  emit: (alert: Alert) => void;
  /** Keys held at most; beyond, alerts pass unfolded (memory stays bounded, nothing is lost). */
  maxKeys?: number;
}

interface Window {
  /** Repeats since the interval began. */
  count: number;
  /** The latest repeat: the follow-up alert is built from it. */
  last?: Alert;
}

export class RepeatFold {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | undefined;
  private readonly maxKeys: number;

  constructor(private readonly opts: RepeatFoldOptions) {
    this.maxKeys = opts.maxKeys ?? 4096;
  }

  /** True when the alert goes out now; false when it was counted as a repeat. */
  admit(alert: Alert): boolean {
    if (!this.opts.rules.has(alert.rule)) return true;
    const key = `${alert.rule}\0${alert.event.proc.pid}\0${alert.event.type}`;
    const w = this.windows.get(key);
    if (w !== undefined) {
      w.count++;
      w.last = alert;
      return false;
    }
    if (this.windows.size >= this.maxKeys) return true;
    this.windows.set(key, { count: 0 });
    this.timer ??= setInterval(() => this.flush(), this.opts.intervalMs).unref();
    return true;
  }

  /**
   * The interval ended: one follow-up alert per key that repeated. A key that repeated stays for
   * another interval (a tracer still attached keeps being counted); a quiet one is forgotten, so
   * its next occurrence alerts at once.
   */
  flush(): void {
    for (const [key, w] of this.windows) {
      if (w.count === 0 || w.last === undefined) {
        this.windows.delete(key);
        continue;
      }
      this.opts.emit(repeatAlert(w.last, w.count));
      w.count = 0;
      w.last = undefined;
    }
    if (this.windows.size === 0) this.stop();
  }

  /** Emits what is counted and stops the timer. */
  close(): void {
    this.flush();
    this.windows.clear();
    this.stop();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The follow-up: the latest repeat, saying how many there were. */
export function repeatAlert(last: Alert, count: number): Alert {
  return {
    ...last,
    uuid: randomUUID(),
    output: `${last.output} (repeated ${count} times since the previous alert, same process and call)`,
    output_fields: { ...last.output_fields, 'vigil.repeats': count },
  };
}
