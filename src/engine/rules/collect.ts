/**
 * Applies the items of every file in order, as Falco's rule collector does:
 * a redefinition replaces (keeping the original position in the rule order),
 * `append: true` and `override: {key: append}` extend, `override: {key:
 * replace}` swaps single keys, a rule item with only `enabled` toggles.
 */
import type { Priority } from '../../event/alert.js';
import { RuleError, type Diagnostic, type ItemRef } from './diagnostics.js';
import type {
  ExceptionDef,
  Item,
  ListItem,
  Located,
  MacroItem,
  RuleAction,
  SigmaOrigin,
  RuleItem,
  RuleKey,
} from './items.js';
import type { Loc } from '../../yaml/source-file.js';
import type { YScalar } from '../../yaml/yaml-tree.js';

export interface ListDef {
  name: string;
  loc: Loc;
  items: Located<string>[];
  /** Definition order (kept by redefinitions) and the order of the last change. */
  index: number;
  visibility: number;
}

export interface MacroDef {
  name: string;
  loc: Loc;
  /** Condition pieces joined with a space (appends add pieces). */
  condition: YScalar[];
  index: number;
}

export interface RuleDef {
  name: string;
  loc: Loc;
  index: number;
  desc: YScalar[];
  condition: YScalar[];
  output: YScalar[];
  priority: Priority;
  tags: string[];
  enabled: boolean;
  source: string;
  exceptions: ExceptionDef[];
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  action: RuleAction | undefined;
  sigma: SigmaOrigin | undefined;
}

export interface Requirements {
  engineVersions: { version: string; loc: Loc }[];
  plugins: { name: string; version: string; alternatives: { name: string; version: string }[]; loc: Loc }[];
}

export class Collector {
  readonly lists = new Map<string, ListDef>();
  readonly macros = new Map<string, MacroDef>();
  readonly rules = new Map<string, RuleDef>();
  readonly requirements: Requirements = { engineVersions: [], plugins: [] };
  readonly errors: Diagnostic[] = [];
  private counter = 0;

  add(item: Item): void {
    try {
      this.apply(item);
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      this.errors.push(err.diagnostic);
    }
  }

  private apply(item: Item): void {
    const index = this.counter++;
    switch (item.kind) {
      case 'list':
        return this.list(item, index);
      case 'macro':
        return this.macro(item, index);
      case 'rule':
        return this.rule(item, index);
      case 'required_engine_version':
        this.requirements.engineVersions.push({ version: item.version, loc: item.loc });
        return;
      case 'required_plugin_versions':
        for (const p of item.plugins) this.requirements.plugins.push({ ...p, loc: item.loc });
        return;
    }
  }

  private list(item: ListItem, index: number): void {
    const ref: ItemRef = { kind: 'list', name: item.name };
    const prev = this.lists.get(item.name);
    if (item.mode === 'define') {
      this.lists.set(item.name, {
        name: item.name,
        loc: item.loc,
        items: item.items,
        index: prev?.index ?? index,
        visibility: index,
      });
      return;
    }
    if (!prev) {
      const msg =
        item.mode === 'append'
          ? "List uses 'append' key but no list by that name already exists"
          : "List has 'override' with 'replace' but no list by that name already exists";
      throw new RuleError(item.loc, ref, msg);
    }
    prev.items = item.mode === 'append' ? [...prev.items, ...item.items] : item.items;
    prev.visibility = index;
  }

  private macro(item: MacroItem, index: number): void {
    const ref: ItemRef = { kind: 'macro', name: item.name };
    const prev = this.macros.get(item.name);
    if (item.mode === 'define') {
      this.macros.set(item.name, {
        name: item.name,
        loc: item.loc,
        condition: [item.condition],
        index: prev?.index ?? index,
      });
      return;
    }
    if (!prev) {
      const msg =
        item.mode === 'append'
          ? "Macro uses 'append' key but no macro by that name already exists"
          : "Macro has 'override' with 'replace' but no macro by that name already exists";
      throw new RuleError(item.loc, ref, msg);
    }
    prev.condition = item.mode === 'append' ? [...prev.condition, item.condition] : [item.condition];
  }

  private rule(item: RuleItem, index: number): void {
    const ref: ItemRef = { kind: 'rule', name: item.name };
    const prev = this.rules.get(item.name);
    const f = item.fields;
    switch (item.mode) {
      case 'define': {
        const source = f.source ?? 'syscall';
        if (prev && prev.source !== source) {
          throw new RuleError(item.loc, ref, 'Rule has been re-defined with a different source');
        }
        const exceptions = f.exceptions ?? [];
        this.rules.set(item.name, {
          name: item.name,
          loc: item.loc,
          index: prev?.index ?? index,
          desc: [f.desc!],
          condition: [f.condition!],
          output: [f.output!],
          priority: f.priority!.value,
          tags: (f.tags ?? []).map((t) => t.value),
          enabled: f.enabled ?? true,
          source,
          exceptions,
          warnEvttypes: f.warn_evttypes ?? true,
          skipIfUnknownFilter: f['skip-if-unknown-filter'] ?? false,
          action: f.action,
          sigma: f.sigma,
        });
        return;
      }
      case 'enable':
        if (!prev)
          throw new RuleError(
            item.loc,
            ref,
            "Rule has 'enabled' key but no rule by that name already exists",
          );
        prev.enabled = f.enabled!;
        return;
      case 'append': {
        if (!prev) {
          throw new RuleError(item.loc, ref, "Rule has 'append' key but no rule by that name already exists");
        }
        if (!f.condition && !f.exceptions && !f.output && !f.desc && !f.tags) {
          throw new RuleError(item.loc, ref, 'Appended rule must have exceptions or condition property');
        }
        this.appendKeys(prev, item, new Set(['condition', 'exceptions', 'output', 'desc', 'tags']));
        return;
      }
      case 'override': {
        if (!prev) {
          const msg =
            item.overrideAppend.size > 0
              ? 'Rule has an append override but no rule by that name already exists'
              : 'Rule has a replace override but no rule by that name already exists';
          throw new RuleError(item.loc, ref, msg);
        }
        this.appendKeys(prev, item, item.overrideAppend);
        this.replaceKeys(prev, item, item.overrideReplace);
        return;
      }
    }
  }

  private appendKeys(prev: RuleDef, item: RuleItem, keys: ReadonlySet<string>): void {
    const f = item.fields;
    const ref: ItemRef = { kind: 'rule', name: item.name };
    if (keys.has('condition') && f.condition) prev.condition = [...prev.condition, f.condition];
    if (keys.has('output') && f.output) prev.output = [...prev.output, f.output];
    if (keys.has('desc') && f.desc) prev.desc = [...prev.desc, f.desc];
    if (keys.has('tags') && f.tags) {
      for (const t of f.tags) if (!prev.tags.includes(t.value)) prev.tags.push(t.value);
    }
    if (keys.has('exceptions') && f.exceptions) {
      for (const ex of f.exceptions) {
        const same = prev.exceptions.find((e) => e.name === ex.name);
        if (same) {
          same.values = [...same.values, ...ex.values];
        } else {
          if (!ex.fields) throw new RuleError(ex.loc, ref, "Item has no mapping for key 'fields'");
          prev.exceptions = [...prev.exceptions, ex];
        }
      }
    }
  }

  private replaceKeys(prev: RuleDef, item: RuleItem, keys: ReadonlySet<RuleKey>): void {
    const f = item.fields;
    const ref: ItemRef = { kind: 'rule', name: item.name };
    for (const key of keys) {
      switch (key) {
        case 'condition':
          prev.condition = [f.condition!];
          break;
        case 'output':
          prev.output = [f.output!];
          break;
        case 'desc':
          prev.desc = [f.desc!];
          break;
        case 'priority':
          prev.priority = f.priority!.value;
          break;
        case 'tags':
          prev.tags = (f.tags ?? []).map((t) => t.value);
          break;
        case 'exceptions':
          for (const ex of f.exceptions ?? []) {
            if (!ex.fields) throw new RuleError(ex.loc, ref, "Item has no mapping for key 'fields'");
          }
          prev.exceptions = f.exceptions ?? [];
          break;
        case 'enabled':
          prev.enabled = f.enabled!;
          break;
        case 'warn_evttypes':
          prev.warnEvttypes = f.warn_evttypes!;
          break;
        case 'skip-if-unknown-filter':
          prev.skipIfUnknownFilter = f['skip-if-unknown-filter']!;
          break;
        case 'action':
          prev.action = f.action;
          break;
      }
    }
  }
}
