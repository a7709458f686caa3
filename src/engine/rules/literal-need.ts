/**
 * A rule's required literals: per string field, substrings of which at least one must occur in
 * the field's lower-cased value for the condition to be true. The ruleset's literal prefilter
 * (literal-index.ts) runs a rule only when its need is met, so the need must follow from the
 * condition on every event, read from the AST:
 * - `F contains/startswith/endswith/= c`, `F in (...)`: F's value contains c (each item); the
 *   case-insensitive forms: the lower-cased value contains the lower-cased c, which is what they test;
 * - `F glob p` / `iglob`: each literal run of p (outside `*`, `?`, classes) occurs in the value;
 * - `F regex p`: the substrings one of which every match contains (regex-literal-set.ts);
 * - `and`: the need of one child (every child must hold; the most selective is taken);
 * - `or`: the union of every child's need; none when one child has none;
 * - `not`, other operators and fields, transformers, `val()`: no need (the rule always runs).
 * Only free-text fields count (TEXT_FIELDS).
 * Literals are lower-cased and ASCII only: on an ASCII value, lower-casing maps unit to unit and
 * every matcher's case folding agrees with it. A value with another unit makes every rule needing
 * that field run (literal-index.ts), so nothing outside ASCII is assumed.
 */
import type { CheckExpr, Expr } from '../condition/ast.js';
import type { CompileContext } from '../condition/compile-condition.js';
import { requiredLiteralSet } from '../condition/regex-literal-set.js';
import { FieldError, resolveField } from '../fields/registry.js';
import { itemsOf, walkNeed } from './guard.js';

/** Field (as resolveField takes it) and the lower-cased literals one of which its value must contain. */
export interface FieldLiterals {
  name: string;
  arg: string | undefined;
  literals: Set<string>;
}

/** Keyed by `name[arg]`; true of a rule only when some field contains one of its literals. */
export type LiteralNeed = Map<string, FieldLiterals>;

const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
};
/**
 * Free-text fields with many values: a literal there rules out most events. (evt.res, fd.type or
 * evt.arg.flags hold a few words each: a need on them would let the rule run on nearly every event.)
 */
const TEXT_FIELDS: ReadonlySet<string> = new Set([
  'proc.name',
  'proc.pname',
  'proc.exe',
  'proc.pexe',
  'proc.exepath',
  'proc.pexepath',
  'proc.exeline',
  'proc.cmdline',
  'proc.pcmdline',
  'proc.args',
  'proc.cwd',
  'proc.env',
  'fd.name',
  'fd.nameraw',
  'fd.filename',
  'fd.directory',
  'fs.path.name',
  'fs.path.source',
  'fs.path.target',
  'container.image',
  'container.image.repository',
  'container.name',
]);
const CASE_SENSITIVE: ReadonlySet<string> = new Set(['contains', 'startswith', 'endswith', '=', '==']);
const CASELESS: ReadonlySet<string> = new Set(['icontains', 'istartswith', 'iendswith', 'iequals']);

/** The literal runs of a glob (Falco's fnmatch syntax, as matchers.ts reads it). */
export function globRuns(pattern: string): string[] {
  const runs: string[] = [];
  let run = '';
  const end = (): void => {
    if (run !== '') runs.push(run);
    run = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' || c === '?') end();
    else if (c === '[') {
      const close = classEnd(pattern, i);
      if (close < 0) run += c;
      else {
        end();
        i = close;
      }
    } else run += c === '\\' && i + 1 < pattern.length ? pattern[++i] : c;
  }
  end();
  return runs;
}

function classEnd(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  return pattern.indexOf(']', i);
}

/** The literals a comparison implies (each alone a need), or undefined when it implies none. */
function checkLiterals(e: CheckExpr, ctx: CompileContext): string[] | undefined {
  const r = e.right;
  if (e.op === 'in' || e.op === 'iin') return itemsOf(r, ctx);
  if (r?.kind !== 'value') return undefined;
  if (CASE_SENSITIVE.has(e.op) || CASELESS.has(e.op)) return [r.value];
  if (e.op === 'glob' || e.op === 'iglob') {
    const runs = globRuns(r.value);
    return runs.length === 0 ? undefined : [runs.reduce((a, b) => (b.length > a.length ? b : a))];
  }
  if (e.op === 'regex') return requiredLiteralSet(r.value);
  return undefined;
}

function leafNeed(e: CheckExpr, ctx: CompileContext): LiteralNeed | undefined {
  const f = e.left;
  if (f.kind !== 'field' || !TEXT_FIELDS.has(f.name)) return undefined;
  let def;
  try {
    def = resolveField(f.name, f.arg?.value).def;
  } catch (err) {
    if (err instanceof FieldError) return undefined;
    throw err;
  }
  // Plain string fields read per event (not evt.type and the like, which the type already decides).
  if (def.type !== 'string' || !def.available || def.byType !== undefined) return undefined;
  if (def.anyOf !== undefined && f.arg === undefined) return undefined;
  const literals = checkLiterals(e, ctx);
  if (literals === undefined || literals.length === 0) return undefined;
  // An empty literal is in every value; outside ASCII, lower-casing is not unit to unit.
  if (literals.some((l) => l === '' || !isAscii(l))) return undefined;
  const key = `${f.name}[${f.arg?.value ?? ''}]`;
  const lowered = new Set(literals.map((l) => l.toLowerCase()));
  return new Map([[key, { name: f.name, arg: f.arg?.value, literals: lowered }]]);
}

/** The shortest literal's length: a need whose literals are all long rules out more events. */
function score(n: LiteralNeed): number {
  let min = Infinity;
  let count = 0;
  for (const f of n.values()) {
    count += f.literals.size;
    for (const l of f.literals) min = Math.min(min, l.length);
  }
  return min * 1000 - Math.min(count, 999);
}

function union(parts: LiteralNeed[]): LiteralNeed {
  const out: LiteralNeed = new Map();
  for (const n of parts) {
    for (const [k, v] of n) {
      const have = out.get(k);
      if (have) for (const l of v.literals) have.literals.add(l);
      else out.set(k, { ...v, literals: new Set(v.literals) });
    }
  }
  return out;
}

/** What must hold for `e` to be true, as required literals; undefined when nothing is known. */
export function literalNeed(e: Expr, ctx: CompileContext): LiteralNeed | undefined {
  return walkNeed(
    e,
    ctx,
    (c) => leafNeed(c, ctx),
    union,
    (a, b) => score(a) > score(b),
  );
}
