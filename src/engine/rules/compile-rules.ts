/**
 * Turns the collected definitions into runnable rules: lists expanded (a list
 * may name lists defined before it, as in Falco), macros parsed once, each
 * rule's condition assembled (appends, then exceptions), parsed, compiled to
 * closures by the condition module, and its output template parsed. Every
 * error keeps the place it points at.
 */
import type { Priority } from '../../event/alert.js';
import type { EventType, VigilEvent } from '../../event/types.js';
import type { Expr } from '../condition/ast.js';
import {
  compileCondition,
  compilerByType,
  type CompileContext,
  type TypedTest,
} from '../condition/compile-condition.js';
import { ConditionError } from '../condition/condition-error.js';
import { parseCondition } from '../condition/parse.js';
import { OutputTemplateError, parseOutputTemplate, type OutputTemplate } from '../output-template.js';
import type { Collector, ListDef, RuleDef } from './collect.js';
import { RuleError, diagnosticAt, type Diagnostic, type ItemRef } from './diagnostics.js';
import { appendExceptions } from './exceptions.js';
import { guardOf, indexKeyOf, type Guard, type IndexKey } from './guard.js';
import type { RuleAction, SigmaOrigin } from './items.js';
import { ListRefChecker } from './list-refs.js';
import { checkInlinedDepth, macroDepths } from './macro-depth.js';
import { LocatedText } from './text.js';
import type { Loc } from '../../yaml/source-file.js';

export interface CompiledRule {
  name: string;
  desc: string;
  priority: Priority;
  tags: readonly string[];
  enabled: boolean;
  /** vigil's enforcement action, handed to src/enforce. */
  action: RuleAction | undefined;
  /** Set on rules converted from Sigma: their origin and attribution. */
  sigma?: SigmaOrigin;
  /** The compiled condition: closures only. */
  test: (ev: VigilEvent) => boolean;
  /** The condition compiled for events of one type (what the Ruleset runs). */
  testFor: (type: EventType) => TypedTest;
  /** Event types the condition can match; null = any. */
  eventTypes: ReadonlySet<EventType> | null;
  output: OutputTemplate;
  /** The condition as assembled (appends and exceptions included), for `rules check -v` and debugging. */
  condition: string;
  /** A conjunct of the condition shared with other rules, tested once for all of them. */
  guard: Guard | undefined;
  /** When set, the rule can only fire when this field has one of these values. */
  indexKey: IndexKey | undefined;
  /** Where the rule was first defined. */
  file: string;
  line: number;
  /** Order of definition (Falco's rule order). */
  index: number;
  /** The parsed condition and the lists and macros it names, for analyses such as the sensor's open prefilter. */
  ast?: { expr: Expr; ctx: CompileContext };
}

export interface SkippedRule {
  name: string;
  reason: string;
  where: Diagnostic;
}

export interface CompileResult {
  rules: CompiledRule[];
  skipped: SkippedRule[];
  warnings: Diagnostic[];
  errors: Diagnostic[];
}

/** Falco's list-item unquoting: `'"(systemd)"'` in YAML is the value `(systemd)` in a condition. */
export function unquoteListItem(v: string): string {
  if (v.length >= 2 && ((v[0] === '"' && v.endsWith('"')) || (v[0] === "'" && v.endsWith("'")))) {
    return v.slice(1, -1).replace(/\\(["'\\bfnrt])/g, (_, c: string) => ESCAPES[c] ?? c);
  }
  return v;
}
const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** A list's items with references to lists defined before it expanded, in Falco's order. */
export function expandLists(lists: ReadonlyMap<string, ListDef>, used?: Set<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const ordered = [...lists.values()].sort((a, b) => a.index - b.index);
  for (const list of ordered) {
    const items: string[] = [];
    for (const { value } of list.items) {
      const ref = lists.get(value);
      const expanded = ref && ref.index < list.visibility ? out.get(value) : undefined;
      if (expanded) {
        items.push(...expanded);
        used?.add(value);
      } else {
        items.push(unquoteListItem(value));
      }
    }
    out.set(list.name, items);
  }
  return out;
}

function conditionError(err: unknown, fallback: Loc, item: ItemRef): Diagnostic {
  if (err instanceof ConditionError && err.origin instanceof LocatedText) {
    return diagnosticAt(err.origin.locAt(err.start), err.origin.item, err.message);
  }
  if (err instanceof ConditionError) return diagnosticAt(fallback, item, err.message);
  throw err;
}

/** Condition text of pieces joined by a space, as Falco joins appended conditions. */
function joined(pieces: RuleDef['condition'], item: ItemRef): LocatedText {
  const t = new LocatedText(item);
  pieces.forEach((p, i) => {
    if (i > 0) t.generated(' ', p.loc);
    t.scalar(p);
  });
  return t;
}

export function compileRules(col: Collector): CompileResult {
  const result: CompileResult = { rules: [], skipped: [], warnings: [], errors: [] };
  const usedLists = new Set<string>();
  const usedMacros = new Set<string>();
  const lists = expandLists(col.lists, usedLists);
  const guards = new Map<string, Guard>();

  const parsed = parseMacros(col, result);
  if (parsed === null) return result;
  const { macros, depths } = parsed;
  const listRefs = new ListRefChecker(col.lists);
  listRefs.checkLists(result.warnings);
  for (const body of macros.values()) listRefs.checkCondition(body, result.warnings);

  for (const r of [...col.rules.values()].sort((a, b) => a.index - b.index)) {
    const item: ItemRef = { kind: 'rule', name: r.name };
    const where = diagnosticAt(r.loc, item, '');
    if (r.source !== 'syscall') {
      const reason = `source '${r.source}' is not run by vigil (only syscall rules run)`;
      result.skipped.push({ name: r.name, reason, where });
      continue;
    }
    let text: LocatedText;
    try {
      text = assembleCondition(r, item);
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      result.errors.push(err.diagnostic);
      continue;
    }
    let compiled: ReturnType<typeof compileCondition>;
    let guard: Guard | undefined;
    let indexKey: IndexKey | undefined;
    let ast: CompiledRule['ast'];
    let testFor: CompiledRule['testFor'];
    try {
      const expr = parseCondition(text.text, text);
      checkInlinedDepth(expr, depths);
      listRefs.checkCondition(expr, result.warnings);
      ast = { expr, ctx: { lists, macros } };
      markUsed(expr, macros, lists, usedMacros, usedLists);
      compiled = compileCondition(expr, { lists, macros });
      testFor = compilerByType(expr, { lists, macros });
      guard = guardOf(expr, { lists, macros }, guards);
      indexKey = indexKeyOf(expr, { lists, macros });
    } catch (err) {
      const d = conditionError(err, r.loc, item);
      if (r.skipIfUnknownFilter && /unknown field|not a supported filter field/i.test(d.message)) {
        result.skipped.push({ name: r.name, reason: `skip-if-unknown-filter: ${d.message}`, where: d });
      } else {
        result.errors.push(d);
      }
      continue;
    }
    const output = compileOutput(r, item, result);
    if (!output) continue;
    if (compiled.eventTypes !== null && compiled.eventTypes.size === 0 && r.enabled) {
      result.warnings.push({
        ...where,
        message: 'Rule can never fire: vigil produces none of the event types its condition allows',
      });
    }
    if (compiled.eventTypes === null && r.warnEvttypes) {
      result.warnings.push({
        ...where,
        message: 'Rule matches too many evt.type values. This has a significant performance penalty.',
      });
    }
    result.rules.push({
      name: r.name,
      desc: r.desc.map((d) => d.text.trim()).join(' '),
      priority: r.priority,
      tags: r.tags,
      enabled: r.enabled,
      action: r.action,
      ...(r.sigma ? { sigma: r.sigma } : {}),
      test: compiled.test,
      testFor,
      guard,
      indexKey,
      eventTypes: compiled.eventTypes,
      output,
      condition: text.text,
      file: where.file,
      line: where.line,
      index: r.index,
      ast,
    });
  }
  unusedWarnings(col, usedMacros, usedLists, result.warnings);
  return result;
}

/** The macros parsed, with their inlined depths; null when any has an error (in `result`). */
function parseMacros(
  col: Collector,
  result: CompileResult,
): { macros: Map<string, Expr>; depths: ReturnType<typeof macroDepths> } | null {
  const macros = new Map<string, Expr>();
  for (const m of [...col.macros.values()].sort((a, b) => a.index - b.index)) {
    const item: ItemRef = { kind: 'macro', name: m.name };
    try {
      const text = joined(m.condition, item);
      macros.set(m.name, parseCondition(text.text, text));
    } catch (err) {
      result.errors.push(conditionError(err, m.loc, item));
    }
  }
  // A rule using a broken macro would only repeat the macro's error as "undefined macro".
  if (result.errors.length > 0) return null;
  const depths = macroDepths(macros);
  for (const m of col.macros.values()) {
    const body = macros.get(m.name);
    try {
      if (body !== undefined) checkInlinedDepth(body, depths);
    } catch (err) {
      result.errors.push(conditionError(err, m.loc, { kind: 'macro', name: m.name }));
    }
  }
  if (result.errors.length > 0) return null;
  return { macros, depths };
}

/** Falco's warnings for macros and lists nothing refers to. */
function unusedWarnings(
  col: Collector,
  usedMacros: ReadonlySet<string>,
  usedLists: ReadonlySet<string>,
  warnings: CompileResult['warnings'],
): void {
  for (const m of col.macros.values()) {
    if (!usedMacros.has(m.name)) {
      warnings.push(
        diagnosticAt(m.loc, { kind: 'macro', name: m.name }, 'Macro not referenced by any rule/macro'),
      );
    }
  }
  for (const l of col.lists.values()) {
    if (!usedLists.has(l.name)) {
      warnings.push(
        diagnosticAt(l.loc, { kind: 'list', name: l.name }, 'List not referenced by any rule/macro/list'),
      );
    }
  }
}

/** Records the macros and lists a condition reaches (for Falco's unused-item warnings). */
function markUsed(
  e: Expr,
  macros: ReadonlyMap<string, Expr>,
  lists: ReadonlyMap<string, string[]>,
  usedMacros: Set<string>,
  usedLists: Set<string>,
): void {
  switch (e.kind) {
    case 'and':
    case 'or':
      for (const c of e.children) markUsed(c, macros, lists, usedMacros, usedLists);
      return;
    case 'not':
      return markUsed(e.child, macros, lists, usedMacros, usedLists);
    case 'macro': {
      const m = macros.get(e.name);
      if (m === undefined || usedMacros.has(e.name)) return;
      usedMacros.add(e.name);
      return markUsed(m, macros, lists, usedMacros, usedLists);
    }
    case 'check': {
      const r = e.right;
      const values = r?.kind === 'list' ? r.items : r?.kind === 'value' ? [r] : [];
      for (const v of values) if (!v.quoted && lists.has(v.value)) usedLists.add(v.value);
      return;
    }
  }
}

/** Falco: the condition (appends joined by spaces); with exceptions `(cond) and not (...)`. */
function assembleCondition(r: RuleDef, item: ItemRef): LocatedText {
  if (r.exceptions.length === 0) return joined(r.condition, item);
  const t = new LocatedText(item);
  t.generated('(', r.condition[0].loc);
  r.condition.forEach((p, i) => {
    if (i > 0) t.generated(' ', p.loc);
    t.scalar(p);
  });
  t.generated(')', r.condition[r.condition.length - 1].loc);
  appendExceptions(t, r.exceptions, item);
  return t;
}

/** Falco trims the output template; appended outputs join with a space. */
function compileOutput(r: RuleDef, item: ItemRef, result: CompileResult): OutputTemplate | null {
  const text = new LocatedText(item);
  r.output.forEach((p, i) => {
    if (i > 0) text.generated(' ', p.loc);
    text.scalar(p);
  });
  const lead = text.text.length - text.text.trimStart().length;
  try {
    const t = parseOutputTemplate(text.text.trim());
    if (t.containerInfoAt !== undefined) {
      const message =
        '%container.info is deprecated (Falco 0.41) and renders as nothing: name the fields, e.g. %container.id %container.name';
      result.warnings.push(diagnosticAt(text.locAt(t.containerInfoAt + lead), item, message));
    }
    return t;
  } catch (err) {
    if (!(err instanceof OutputTemplateError)) throw err;
    result.errors.push(diagnosticAt(text.locAt(err.offset + lead), item, err.message));
    return null;
  }
}
