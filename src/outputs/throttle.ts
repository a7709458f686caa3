/**
 * Per-sink rate limit (per rule, fixed windows) and dedup window (same rule and output). What they
 * hold back is counted per rule and comes out as one AlertSummary when the rule's window closes,
 * so a noisy rule costs a channel one line instead of thousands. Memory is bounded by maxKeys.
 * SummaryCounter counts the same way what a paced sink's send cannot carry, summarised at once.
 */
import type { Alert } from '../event/alert.js';
import { priorityRank } from './priority.js';
import type { AlertSummary } from './sink.js';

export interface ThrottleOptions {
  /** Per rule per window; 0 = unlimited. */
  maxPerRule: number;
  dedupWindowMs: number;
  windowMs: number;
  maxKeys?: number;
}

interface RuleWindow {
  start: number;
  admitted: number;
  suppressed: number;
  summary?: AlertSummary;
}

export class Throttle {
  private readonly rules = new Map<string, RuleWindow>();
  private readonly seen = new Map<string, number>();
  private readonly due: AlertSummary[] = [];
  private readonly maxKeys: number;

  constructor(private readonly opts: ThrottleOptions) {
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  get enabled(): boolean {
    return this.opts.maxPerRule > 0 || this.opts.dedupWindowMs > 0;
  }

  /** True when the alert goes out; false when it is held back (and counted). */
  admit(alert: Alert, now = Date.now()): boolean {
    if (!this.enabled) return true;
    let w = this.rules.get(alert.rule);
    if (w && now >= w.start + this.opts.windowMs) {
      if (w.summary) this.due.push(w.summary);
      this.rules.delete(alert.rule);
      w = undefined;
    }
    if (!w) {
      if (this.rules.size >= this.maxKeys) this.evictOldest(this.rules);
      w = { start: now, admitted: 0, suppressed: 0 };
      this.rules.set(alert.rule, w);
    }
    const key = this.opts.dedupWindowMs > 0 ? `${alert.rule}\0${alert.output}` : '';
    const dup = key !== '' && (this.seen.get(key) ?? 0) > now;
    if (dup || (this.opts.maxPerRule > 0 && w.admitted >= this.opts.maxPerRule)) {
      w.suppressed++;
      w.summary = countInto(w.summary, alert, this.opts.windowMs);
      return false;
    }
    w.admitted++;
    if (key !== '') {
      if (this.seen.size >= this.maxKeys) this.evictOldest(this.seen);
      this.seen.set(key, now + this.opts.dedupWindowMs);
    }
    return true;
  }

  /** Summaries of windows that have closed by now. */
  takeDue(now = Date.now()): AlertSummary[] {
    this.closeWindows(now);
    return this.due.splice(0);
  }

  /** When the earliest window holding suppressed alerts closes (to wake the sink). */
  nextDueAt(): number | undefined {
    let t: number | undefined;
    for (const w of this.rules.values()) {
      if (w.suppressed > 0 && (t === undefined || w.start + this.opts.windowMs < t))
        t = w.start + this.opts.windowMs;
    }
    return t;
  }

  /** Everything held back so far, window closed or not (for shutdown). */
  flushAll(): AlertSummary[] {
    for (const w of this.rules.values()) if (w.summary) this.due.push(w.summary);
    this.rules.clear();
    return this.due.splice(0);
  }

  private closeWindows(now: number): void {
    for (const [rule, w] of this.rules) {
      if (now < w.start + this.opts.windowMs) continue;
      if (w.summary) this.due.push(w.summary);
      this.rules.delete(rule);
    }
    if (this.seen.size > this.maxKeys / 2)
      for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
  }

  private evictOldest<V>(map: Map<string, V>): void {
    const first = map.keys().next();
    if (!first.done) {
      const w = map.get(first.value) as RuleWindow | undefined;
      if (map === (this.rules as Map<string, unknown>) && w?.summary) this.due.push(w.summary);
      map.delete(first.value);
    }
  }
}

/** Adds one held-back alert to its rule's summary (a new one when there is none yet). */
function countInto(s: AlertSummary | undefined, alert: Alert, windowMs: number): AlertSummary {
  if (!s) {
    return {
      rule: alert.rule,
      count: 1,
      priority: alert.priority,
      hostname: alert.hostname,
      first_time: alert.time,
      last_time: alert.time,
      window_ms: windowMs,
    };
  }
  s.count++;
  s.last_time = alert.time;
  if (priorityRank(alert.priority) < priorityRank(s.priority)) s.priority = alert.priority;
  return s;
}

/** Alerts held back at once (more than one send carries), counted into one summary per rule. */
export class SummaryCounter {
  private readonly byRule = new Map<string, AlertSummary>();

  constructor(private readonly windowMs: number) {}

  add(alert: Alert): void {
    this.byRule.set(alert.rule, countInto(this.byRule.get(alert.rule), alert, this.windowMs));
  }

  /** The summaries, most severe first, and a fresh start. */
  take(): AlertSummary[] {
    const out = [...this.byRule.values()].sort((a, b) => priorityRank(a.priority) - priorityRank(b.priority));
    this.byRule.clear();
    return out;
  }
}
