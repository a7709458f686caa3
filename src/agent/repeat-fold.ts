/**
 * Repeated alerts as counted follow-ups. A loop an attacker runs (a tracer on the agent, an exec
 * flood matching one rule) would otherwise raise one alert per syscall: hundreds a second that fill
 * the store and queue every later alert behind them in the sinks. Per key the first `burst` alerts
 * go out at once; the repeats within the interval are counted and come out as one follow-up alert
 * carrying `vigil.repeats` when the interval ends. The agent applies it to detect()'s output, so
 * detect() (and with it replay and rule tests) stays a pure function of the event
 * (docs/architecture.md, "Repeated alerts").
 */
import { randomUUID } from 'node:crypto';
import type { Alert } from '../event/alert.js';

export interface RepeatFoldOptions {
  /** Rules folded (by name); absent: every rule but those in `except`. */
  rules?: ReadonlySet<string>;
  /** Rules never folded by this fold (another fold has them). */
  except?: ReadonlySet<string>;
  /** What makes two alerts of one rule repeats of each other. */
  keyOf: (alert: Alert) => string;
  /** Said of a key in the follow-up's output: "(repeated N times since the previous alert, <same>)". */
  same: string;
  /** Alerts of one key that go out in an interval before its repeats are counted (default 1). */
  burst?: number;
  /** The interval, in milliseconds. */
  intervalMs: number;
  /** Where follow-up alerts go. */
  emit: (alert: Alert) => void;
  /**
   * Keys held at most (default 4096). Beyond, an alert is keyed by its rule alone: memory stays
   * bounded, and an attacker who varies what the key holds is still folded, rule by rule.
   */
  maxKeys?: number;
}

interface Window {
  /** Alerts that went out since the key was first seen (up to burst). */
  passed: number;
  /** Repeats counted since the last follow-up. */
  count: number;
  /** The latest repeat: the follow-up alert is built from it. */
  last?: Alert;
}

export class RepeatFold {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | undefined;
  private readonly maxKeys: number;
  private readonly burst: number;

  constructor(private readonly opts: RepeatFoldOptions) {
    this.maxKeys = opts.maxKeys ?? 4096;
    this.burst = Math.max(1, opts.burst ?? 1);
  }

  /** True when the alert goes out now; false when it was counted as a repeat. */
  admit(alert: Alert): boolean {
    if (!this.folds(alert.rule)) return true;
    let key = `${alert.rule}\0${this.opts.keyOf(alert)}`;
    let w = this.windows.get(key);
    if (w === undefined && this.windows.size >= this.maxKeys) {
      key = alert.rule;
      w = this.windows.get(key);
    }
    if (w === undefined) {
      this.windows.set(key, { passed: 1, count: 0 });
      this.timer ??= setInterval(() => this.flush(), this.opts.intervalMs).unref();
      return true;
    }
    if (w.passed < this.burst) {
      w.passed++;
      return true;
    }
    w.count++;
    w.last = alert;
    return false;
  }

  /**
   * The interval ended: one follow-up alert per key that repeated. A key that repeated stays for
   * another interval with its burst spent (a loop still running keeps being counted); a quiet one
   * is forgotten, so its next occurrence alerts at once.
   */
  flush(): void {
    for (const [key, w] of this.windows) {
      if (w.count === 0 || w.last === undefined) {
        this.windows.delete(key);
        continue;
      }
      this.opts.emit(repeatAlert(w.last, w.count, this.opts.same));
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

  private folds(rule: string): boolean {
    if (this.opts.rules !== undefined) return this.opts.rules.has(rule);
    return this.opts.except === undefined || !this.opts.except.has(rule);
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The follow-up: the latest repeat, saying how many there were. */
export function repeatAlert(last: Alert, count: number, same: string): Alert {
  return {
    ...last,
    uuid: randomUUID(),
    output: `${last.output} (repeated ${count} times since the previous alert, ${same})`,
    output_fields: { ...last.output_fields, 'vigil.repeats': count },
  };
}
