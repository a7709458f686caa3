/**
 * Reloading rules on SIGHUP or when a rule file changes. The new ruleset is
 * built completely before the swap; a reload that fails keeps the running
 * rules and reports why ('error' event). `vigil run` wires this up.
 */
import { EventEmitter } from 'node:events';
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Engine } from './engine.js';
import { loadRuleset, type LoadOptions } from './load-ruleset.js';
import type { RuleMatching, Ruleset } from './ruleset.js';

export interface ReloaderEvents {
  reload: [ruleset: Ruleset];
  error: [error: Error];
}

export class RuleReloader extends EventEmitter<ReloaderEvents> {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly paths: readonly string[],
    private readonly matching: RuleMatching = engine.ruleset.matching,
    /** Editors write files in bursts (truncate, write, rename): wait this long for quiet. */
    private readonly settleMs = 200,
    private readonly options: LoadOptions = {},
  ) {
    super();
  }

  /** Loads the paths again; swaps on success. Returns whether the swap happened. */
  reload(): boolean {
    let next: Ruleset;
    try {
      next = loadRuleset(this.paths, this.matching, this.options);
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
      return false;
    }
    this.engine.swap(next);
    this.emit('reload', next);
    return true;
  }

  /**
   * Watches the rule files' directories (a file replaced by an editor's
   * rename keeps being watched this way) and reloads after changes settle.
   */
  watch(): this {
    const dirs = new Map<string, ((name: string) => boolean) | null>();
    for (const p of this.paths) {
      const abs = resolve(p);
      if (statSync(abs).isDirectory()) {
        dirs.set(abs, null);
      } else {
        const dir = dirname(abs);
        const prev = dirs.get(dir);
        if (prev === null) continue;
        const name = basename(abs);
        dirs.set(dir, prev ? (n) => n === name || prev(n) : (n) => n === name);
      }
    }
    for (const [dir, accepts] of dirs) {
      const w = watch(dir, (_event, file) => {
        const name = file?.toString() ?? '';
        const relevant = accepts ? accepts(name) : /\.ya?ml$/.test(name);
        if (relevant) this.schedule();
      });
      w.on('error', (err) => this.emit('error', err));
      this.watchers.push(w);
    }
    return this;
  }

  /** Reloads on SIGHUP until close(). */
  onSighup(): this {
    process.on('SIGHUP', this.sighup);
    return this;
  }

  close(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    process.off('SIGHUP', this.sighup);
  }

  private readonly sighup = (): void => {
    this.reload();
  };

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reload();
    }, this.settleMs);
  }
}
