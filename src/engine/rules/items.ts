/**
 * The items of a rule file, as read (validated shapes, with positions), before
 * later files amend earlier ones. Falco's item kinds plus vigil's `action`.
 */
import type { Priority } from '../../event/alert.js';
import type { Loc } from '../../yaml/source-file.js';
import type { YNode, YScalar } from '../../yaml/yaml-tree.js';

/** A string value and where it came from (scalars keep offsets for conditions). */
export interface Located<T> {
  value: T;
  node: YNode;
}

export type RuleAction = 'kill' | 'deny';

/**
 * Where a rule converted from Sigma came from (the `sigma` key): the Detection Rule License asks
 * for attribution, and `status` is what `--min-status` compares.
 */
export interface SigmaOrigin {
  id?: string;
  status?: string;
  level?: string;
  author?: string;
  license?: string;
  date?: string;
  modified?: string;
  references: string[];
  /** The Sigma file the rule was converted from. */
  file?: string;
}

/** Falco's exception entries: a string or a (nested) list of strings. */
export type ExceptionEntry =
  { isList: false; value: string; node: YNode } | { isList: true; items: ExceptionEntry[]; node: YNode };

export interface ExceptionDef {
  name: string;
  loc: Loc;
  fields?: ExceptionEntry;
  comps?: ExceptionEntry;
  values: ExceptionEntry[];
}

export interface ListItem {
  kind: 'list';
  name: string;
  loc: Loc;
  items: Located<string>[];
  /** define: new or redefined (replaces); append / replace: amend an existing one. */
  mode: 'define' | 'append' | 'replace';
}

export interface MacroItem {
  kind: 'macro';
  name: string;
  loc: Loc;
  condition: YScalar;
  mode: 'define' | 'append' | 'replace';
}

/** Rule keys that `override` can name. */
export const RULE_OVERRIDABLE_REPLACE = [
  'desc',
  'condition',
  'output',
  'priority',
  'tags',
  'exceptions',
  'enabled',
  'warn_evttypes',
  'skip-if-unknown-filter',
  'action',
] as const;
export const RULE_OVERRIDABLE_APPEND = ['desc', 'condition', 'output', 'tags', 'exceptions'] as const;
export type RuleKey = (typeof RULE_OVERRIDABLE_REPLACE)[number];

export interface RuleFields {
  desc?: YScalar;
  condition?: YScalar;
  output?: YScalar;
  priority?: Located<Priority>;
  tags?: Located<string>[];
  enabled?: boolean;
  source?: string;
  exceptions?: ExceptionDef[];
  warn_evttypes?: boolean;
  'skip-if-unknown-filter'?: boolean;
  action?: RuleAction;
  sigma?: SigmaOrigin;
}

export interface RuleItem {
  kind: 'rule';
  name: string;
  loc: Loc;
  /**
   * define: a full rule (or a redefinition, which replaces); append: old
   * `append: true`; override: per-key append/replace; enable: only `enabled`.
   */
  mode: 'define' | 'append' | 'override' | 'enable';
  fields: RuleFields;
  overrideAppend: Set<RuleKey>;
  overrideReplace: Set<RuleKey>;
}

export interface VersionItem {
  kind: 'required_engine_version';
  version: string;
  loc: Loc;
}

export interface PluginVersionItem {
  kind: 'required_plugin_versions';
  plugins: { name: string; version: string; alternatives: { name: string; version: string }[] }[];
  loc: Loc;
}

export type Item = ListItem | MacroItem | RuleItem | VersionItem | PluginVersionItem;
