/**
 * Reads one rule file into items: YAML syntax, item shapes, key names and
 * value types, each problem reported at its exact place. Semantics across
 * items (appends, overrides, references) are the collector's job.
 */
import { PRIORITIES, type Priority } from '../../event/alert.js';
import { RuleError, type Diagnostic, type ItemRef } from './diagnostics.js';
import {
  RULE_OVERRIDABLE_APPEND,
  RULE_OVERRIDABLE_REPLACE,
  type ExceptionDef,
  type ExceptionEntry,
  type Item,
  type Located,
  type RuleFields,
  type RuleItem,
  type RuleKey,
  type SigmaOrigin,
} from './items.js';
import type { SourceFile } from '../../yaml/source-file.js';
import {
  parseYaml,
  pairOf,
  YamlSyntaxError,
  type YMap,
  type YNode,
  type YScalar,
} from '../../yaml/yaml-tree.js';

const ITEM_KINDS = ['rule', 'macro', 'list', 'required_engine_version', 'required_plugin_versions'];
const LIST_KEYS = new Set(['list', 'items', 'append', 'override']);
const MACRO_KEYS = new Set(['macro', 'condition', 'append', 'override']);
/** Falco's rule keys, plus vigil's `action`. `capture*` are Falco's (accepted, unused here). */
const RULE_KEYS = new Set([
  'rule',
  'desc',
  'condition',
  'output',
  'priority',
  'tags',
  'enabled',
  'source',
  'exceptions',
  'override',
  'append',
  'warn_evttypes',
  'skip-if-unknown-filter',
  'capture',
  'capture_duration',
  'action',
  'sigma',
]);
const EXCEPTION_KEYS = new Set(['name', 'fields', 'comps', 'values']);
const PLUGIN_KEYS = new Set(['name', 'version', 'alternatives']);

/** Priority spellings Falco accepts, case-insensitively. */
const PRIORITY_NAMES: ReadonlyMap<string, Priority> = new Map([
  ...PRIORITIES.map((p) => [p.toLowerCase(), p] as const),
  ['info', 'Informational'],
]);
const PRIORITY_HINT =
  'expected one of Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug';
const YAML_TRUE = new Set(['true', 'yes', 'on', 'y']);
const YAML_FALSE = new Set(['false', 'no', 'off', 'n']);

/** Items of one file, in order, plus every problem found (loading fails if any). */
export function readRuleFile(file: SourceFile): { items: Item[]; errors: Diagnostic[] } {
  const items: Item[] = [];
  const errors: Diagnostic[] = [];
  let root: YNode | null;
  try {
    root = parseYaml(file);
  } catch (err) {
    if (!(err instanceof YamlSyntaxError)) throw err;
    errors.push(
      new RuleError({ file, offset: err.offset }, null, `YAML syntax error: ${err.reason}`).diagnostic,
    );
    return { items, errors };
  }
  if (root === null) return { items, errors };
  if (root.kind !== 'seq') {
    errors.push(new RuleError(root.loc, null, 'Rules content is not yaml array of objects').diagnostic);
    return { items, errors };
  }
  for (const node of root.items) {
    try {
      items.push(readItem(node));
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      errors.push(err.diagnostic);
    }
  }
  return { items, errors };
}

function readItem(node: YNode): Item {
  if (node.kind !== 'map') {
    throw new RuleError(
      node.loc,
      null,
      'Unexpected element type. Each element should be a yaml associative array.',
    );
  }
  const kind = ITEM_KINDS.find((k) => pairOf(node, k));
  if (kind === undefined) {
    const found = node.pairs.map((p) => `'${p.keyText}'`).join(', ') || 'nothing';
    throw new RuleError(
      node.loc,
      null,
      `Unknown top level item (found ${found}; expected rule, macro or list)`,
    );
  }
  switch (kind) {
    case 'list':
      return readList(node);
    case 'macro':
      return readMacro(node);
    case 'rule':
      return readRule(node);
    case 'required_engine_version':
      return readEngineVersion(node);
    default:
      return readPluginVersions(node);
  }
}

function itemName(map: YMap, kind: 'rule' | 'macro' | 'list'): ItemRef {
  const pair = pairOf(map, kind)!;
  const v = pair.value;
  if (v.kind !== 'scalar' || v.value === null || v.text === '') {
    throw new RuleError(v.loc, null, `'${kind}' must be a non-empty name`);
  }
  return { kind, name: v.text };
}

function checkKeys(map: YMap, allowed: ReadonlySet<string>, item: ItemRef | null, what: string): void {
  for (const p of map.pairs) {
    if (!allowed.has(p.keyText)) {
      throw new RuleError(p.key.loc, item, `Unknown key '${p.keyText}' in ${what}`);
    }
  }
}

function scalarOf(map: YMap, key: string, item: ItemRef | null, required: boolean): YScalar | undefined {
  const pair = pairOf(map, key);
  if (!pair) {
    if (required) throw new RuleError(map.loc, item, `Item has no mapping for key '${key}'`);
    return undefined;
  }
  const v = pair.value;
  if (v.kind !== 'scalar' || v.value === null) {
    throw new RuleError(v.loc, item, `Value for key '${key}' must be a string`);
  }
  return v;
}

function nonEmptyText(map: YMap, key: string, item: ItemRef | null, required: boolean): YScalar | undefined {
  const v = scalarOf(map, key, item, required);
  if (v && v.text.trim() === '') throw new RuleError(v.loc, item, `Value for key '${key}' must be non-empty`);
  return v;
}

function boolOf(map: YMap, key: string, item: ItemRef): boolean | undefined {
  const pair = pairOf(map, key);
  if (!pair) return undefined;
  const v = pair.value;
  if (v.kind === 'scalar') {
    if (typeof v.value === 'boolean') return v.value;
    const t = v.text.toLowerCase();
    if (YAML_TRUE.has(t)) return true;
    if (YAML_FALSE.has(t)) return false;
  }
  throw new RuleError(v.loc, item, `Value for key '${key}' must be a boolean (true or false)`);
}

function stringSeq(map: YMap, key: string, item: ItemRef, required: boolean): Located<string>[] | undefined {
  const pair = pairOf(map, key);
  if (!pair) {
    if (required) throw new RuleError(map.loc, item, `Item has no mapping for key '${key}'`);
    return undefined;
  }
  const v = pair.value;
  if (v.kind === 'scalar' && v.value === null) return [];
  if (v.kind !== 'seq') throw new RuleError(v.loc, item, `Value for key '${key}' must be a sequence`);
  return v.items.map((n) => {
    if (n.kind !== 'scalar' || n.value === null) {
      throw new RuleError(n.loc, item, `Items of '${key}' must be strings`);
    }
    return { value: n.text, node: n };
  });
}

/** `append: true` (deprecated in Falco, still honoured) and `override: {key: append|replace}`. */
function readOverride(
  map: YMap,
  item: ItemRef,
  appendable: readonly string[],
  replaceable: readonly string[],
): { append: boolean; overrideAppend: Set<string>; overrideReplace: Set<string> } {
  const append = boolOf(map, 'append', item) ?? false;
  const overrideAppend = new Set<string>();
  const overrideReplace = new Set<string>();
  const pair = pairOf(map, 'override');
  if (pair) {
    const ov = pair.value;
    if (ov.kind !== 'map') throw new RuleError(ov.loc, item, "Value for key 'override' must be a map");
    for (const p of ov.pairs) {
      const op = p.value.kind === 'scalar' ? p.value.text : '';
      if (op === 'append') {
        if (!appendable.includes(p.keyText)) {
          const hint = replaceable.includes(p.keyText) ? ", use 'replace' instead" : '';
          throw new RuleError(p.key.loc, item, `Key '${p.keyText}' cannot be appended to${hint}`);
        }
        overrideAppend.add(p.keyText);
      } else if (op === 'replace') {
        if (!replaceable.includes(p.keyText)) {
          throw new RuleError(p.key.loc, item, `Key '${p.keyText}' cannot be replaced`);
        }
        overrideReplace.add(p.keyText);
      } else {
        throw new RuleError(
          p.value.loc,
          item,
          `Invalid override operation for key '${p.keyText}': '${op}' (allowed: append, replace)`,
        );
      }
    }
    if (append) {
      throw new RuleError(
        pair.key.loc,
        item,
        "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
      );
    }
    // Every overridden key must be present, and every present key overridden.
    for (const key of [...overrideAppend, ...overrideReplace]) {
      if (!pairOf(map, key)) {
        throw new RuleError(
          pair.value.loc,
          item,
          `An override for '${key}' was specified but '${key}' is not defined`,
        );
      }
    }
    for (const p of map.pairs) {
      if (
        replaceable.includes(p.keyText) &&
        !overrideAppend.has(p.keyText) &&
        !overrideReplace.has(p.keyText)
      ) {
        throw new RuleError(p.key.loc, item, `Key '${p.keyText}' is defined but not listed under 'override'`);
      }
    }
  }
  return { append, overrideAppend, overrideReplace };
}

function readList(map: YMap): Item {
  const item = itemName(map, 'list');
  checkKeys(map, LIST_KEYS, item, 'a list');
  const { append, overrideAppend, overrideReplace } = readOverride(map, item, ['items'], ['items']);
  const items = stringSeq(map, 'items', item, true)!;
  // Numbers in lists (ports) are strings to the condition language.
  return {
    kind: 'list',
    name: item.name,
    loc: map.loc,
    items,
    mode: append || overrideAppend.size > 0 ? 'append' : overrideReplace.size > 0 ? 'replace' : 'define',
  };
}

function readMacro(map: YMap): Item {
  const item = itemName(map, 'macro');
  checkKeys(map, MACRO_KEYS, item, 'a macro');
  const { append, overrideAppend, overrideReplace } = readOverride(map, item, ['condition'], ['condition']);
  const condition = nonEmptyText(map, 'condition', item, true)!;
  return {
    kind: 'macro',
    name: item.name,
    loc: map.loc,
    condition,
    mode: append || overrideAppend.size > 0 ? 'append' : overrideReplace.size > 0 ? 'replace' : 'define',
  };
}

function readRule(map: YMap): RuleItem {
  const item = itemName(map, 'rule');
  checkKeys(map, RULE_KEYS, item, 'a rule');
  const ov = readOverride(map, item, RULE_OVERRIDABLE_APPEND, RULE_OVERRIDABLE_REPLACE);
  const has = (k: string): boolean => pairOf(map, k) !== undefined;
  let mode: RuleItem['mode'];
  if (ov.overrideAppend.size + ov.overrideReplace.size > 0) mode = 'override';
  else if (ov.append) mode = 'append';
  else if (!has('condition') && !has('output') && !has('desc') && !has('priority')) mode = 'enable';
  else mode = 'define';

  const required = mode === 'define';
  const fields: RuleFields = {};
  fields.condition = nonEmptyText(map, 'condition', item, required);
  fields.output = nonEmptyText(map, 'output', item, required);
  fields.desc = scalarOf(map, 'desc', item, required);
  const priority = nonEmptyText(map, 'priority', item, required);
  if (priority) {
    const p = PRIORITY_NAMES.get(priority.text.trim().toLowerCase());
    if (!p)
      throw new RuleError(priority.loc, item, `Invalid priority '${priority.text.trim()}': ${PRIORITY_HINT}`);
    fields.priority = { value: p, node: priority };
  }
  fields.tags = stringSeq(map, 'tags', item, false);
  fields.enabled = boolOf(map, 'enabled', item);
  if (mode === 'enable' && fields.enabled === undefined) {
    throw new RuleError(map.loc, item, "Item has no mapping for key 'condition'");
  }
  fields.warn_evttypes = boolOf(map, 'warn_evttypes', item);
  fields['skip-if-unknown-filter'] = boolOf(map, 'skip-if-unknown-filter', item);
  boolOf(map, 'capture', item);
  const source = nonEmptyText(map, 'source', item, false);
  if (source) fields.source = source.text;
  const action = scalarOf(map, 'action', item, false);
  if (action) {
    if (action.text !== 'kill' && action.text !== 'deny') {
      throw new RuleError(action.loc, item, `Invalid action '${action.text}': expected kill or deny`);
    }
    fields.action = action.text;
  }
  fields.exceptions = readExceptions(map, item, mode);
  const sigma = readSigmaOrigin(map, item);
  if (sigma) fields.sigma = sigma;
  return {
    kind: 'rule',
    name: item.name,
    loc: map.loc,
    mode,
    fields,
    overrideAppend: ov.overrideAppend as Set<RuleKey>,
    overrideReplace: ov.overrideReplace as Set<RuleKey>,
  };
}

const SIGMA_KEYS = ['id', 'status', 'level', 'author', 'license', 'date', 'modified', 'file'] as const;

/** vigil's `sigma` key: the origin of a rule converted from Sigma (see SigmaOrigin). */
function readSigmaOrigin(map: YMap, item: ItemRef): SigmaOrigin | undefined {
  const pair = pairOf(map, 'sigma');
  if (!pair) return undefined;
  const v = pair.value;
  if (v.kind !== 'map') throw new RuleError(v.loc, item, "Value for key 'sigma' must be a map");
  checkKeys(v, new Set([...SIGMA_KEYS, 'references']), item, "a rule's sigma key");
  const origin: SigmaOrigin = {
    references: (stringSeq(v, 'references', item, false) ?? []).map((r) => r.value),
  };
  for (const k of SIGMA_KEYS) {
    const s = scalarOf(v, k, item, false);
    if (s) origin[k] = s.text;
  }
  return origin;
}

function readExceptions(map: YMap, item: ItemRef, mode: RuleItem['mode']): ExceptionDef[] | undefined {
  const pair = pairOf(map, 'exceptions');
  if (!pair) return undefined;
  const seq = pair.value;
  if (seq.kind === 'scalar' && seq.value === null) return [];
  if (seq.kind !== 'seq') throw new RuleError(seq.loc, item, 'Rule exceptions must be a sequence');
  return seq.items.map((ex) => {
    if (ex.kind !== 'map') throw new RuleError(ex.loc, item, 'Rule exception must be a map');
    checkKeys(ex, EXCEPTION_KEYS, item, 'an exception');
    const name = nonEmptyText(ex, 'name', item, true)!.text;
    const def: ExceptionDef = { name, loc: ex.loc, values: [] };
    const fields = pairOf(ex, 'fields');
    // A new exception needs its fields; appended values to an existing one may omit them.
    if (!fields && mode === 'define')
      throw new RuleError(ex.loc, item, "Item has no mapping for key 'fields'");
    if (fields) def.fields = readEntry(fields.value, item);
    const comps = pairOf(ex, 'comps');
    if (comps) def.comps = readEntry(comps.value, item);
    const values = pairOf(ex, 'values');
    if (values && !(values.value.kind === 'scalar' && values.value.value === null)) {
      if (values.value.kind !== 'seq') {
        throw new RuleError(values.value.loc, item, 'Rule exception values must be a sequence');
      }
      def.values = values.value.items.map((v) => readEntry(v, item));
    }
    return def;
  });
}

function readEntry(node: YNode, item: ItemRef): ExceptionEntry {
  if (node.kind === 'scalar') {
    if (node.value === null) throw new RuleError(node.loc, item, 'Exception entry must not be empty');
    return { isList: false, value: node.text, node };
  }
  if (node.kind === 'seq') return { isList: true, items: node.items.map((n) => readEntry(n, item)), node };
  throw new RuleError(node.loc, item, 'Exception entry must be a string or a list');
}

function readEngineVersion(map: YMap): Item {
  checkKeys(map, new Set(['required_engine_version']), null, 'required_engine_version');
  const v = pairOf(map, 'required_engine_version')!.value;
  if (v.kind !== 'scalar' || v.value === null || !/^\d+(\.\d+){0,2}$/.test(v.text.trim())) {
    throw new RuleError(v.loc, null, 'required_engine_version must be a version like 0.57.0');
  }
  return { kind: 'required_engine_version', version: v.text.trim(), loc: v.loc };
}

function readPluginVersions(map: YMap): Item {
  checkKeys(map, new Set(['required_plugin_versions']), null, 'required_plugin_versions');
  const v = pairOf(map, 'required_plugin_versions')!.value;
  if (v.kind !== 'seq') throw new RuleError(v.loc, null, 'required_plugin_versions must be a sequence');
  const plugin = (n: YNode): { name: string; version: string } => {
    if (n.kind !== 'map')
      throw new RuleError(n.loc, null, 'a required plugin must be a map with name and version');
    checkKeys(n, PLUGIN_KEYS, null, 'a required plugin');
    return {
      name: nonEmptyText(n, 'name', null, true)!.text,
      version: nonEmptyText(n, 'version', null, true)!.text,
    };
  };
  const plugins = v.items.map((n) => {
    const p = plugin(n);
    const alts = n.kind === 'map' ? pairOf(n, 'alternatives')?.value : undefined;
    if (alts && alts.kind !== 'seq') throw new RuleError(alts.loc, null, 'alternatives must be a sequence');
    return { ...p, alternatives: alts?.kind === 'seq' ? alts.items.map(plugin) : [] };
  });
  return { kind: 'required_plugin_versions', plugins, loc: v.loc };
}
