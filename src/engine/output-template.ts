/**
 * Output templates, parsed once per rule and rendered per alert (off the
 * per-event path). Syntax as Falco's event formatter: `%field`,
 * `%field[arg]`, `%evt.arg.NAME`, transformers `%tolower(field)`, an
 * optional width `%20proc.name` (accepted; Falco uses it for column layout,
 * vigil renders values whole). The field name is the longest registered name
 * that prefixes the text after `%`, as libsinsp matches it. A missing value
 * renders as `<NA>`.
 */
import type { VigilEvent } from '../event/types.js';
import { TRANSFORMERS, type Transformer } from './condition/ast.js';
import { TRANSFORM } from './condition/transformers.js';
import { allFields, FieldError, formatFieldValue, lookupField, resolveField } from './fields/index.js';
import type { FieldDef, FieldValue, Getter } from './fields/field-types.js';

export type OutputFieldValue = string | number | boolean | null;

interface Token {
  /** The field as written (`proc.aname[2]`): the key in output_fields. */
  key: string;
  get: Getter;
  def: FieldDef;
  transformers: Transformer[];
}

export interface OutputTemplate {
  /** Text and fields in order: strings are literal text. */
  readonly parts: readonly (string | Token)[];
  /** Every field the template names, in order of first appearance. */
  readonly fields: readonly string[];
  /** Offset of Falco's deprecated `%container.info`, which renders as nothing; undefined without one. */
  readonly containerInfoAt?: number;
}

/** Falco's pseudo-field for `-pc`/`-pk` output; since Falco 0.41 it renders as nothing. */
const CONTAINER_INFO = 'container.info';

/** A template error at an offset into the template text. */
export class OutputTemplateError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

let namesByLength: string[] | undefined;
function fieldNames(): string[] {
  return (namesByLength ??= allFields()
    .map((f) => f.name)
    .sort((a, b) => b.length - a.length));
}

export function parseOutputTemplate(text: string): OutputTemplate {
  const parts: (string | Token)[] = [];
  const fields: string[] = [];
  let literal = '';
  let containerInfoAt: number | undefined;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '%') {
      literal += c;
      i++;
      continue;
    }
    const at = i;
    i++;
    if (i >= text.length)
      throw new OutputTemplateError('invalid formatting syntax: formatting cannot end with a %', at);
    while (i < text.length && text[i] >= '0' && text[i] <= '9') i++;
    if (text.startsWith(CONTAINER_INFO, i) && !/[\w.[]/.test(text[i + CONTAINER_INFO.length] ?? '')) {
      containerInfoAt ??= at;
      i += CONTAINER_INFO.length;
      continue;
    }
    const transformers: Transformer[] = [];
    for (;;) {
      const t = TRANSFORMERS.find((name) => text.startsWith(name + '(', i));
      if (!t) break;
      transformers.push(t);
      i += t.length + 1;
    }
    const name = fieldNames().find((n) => text.startsWith(n, i));
    if (!name) {
      const word = /^[\w.[\]-]*/.exec(text.slice(i))?.[0] ?? '';
      throw new OutputTemplateError(`invalid formatting token %${word || text.slice(i, i + 1)}`, at);
    }
    const def = lookupField(name)!;
    i += name.length;
    let arg: string | undefined;
    let dotted = false;
    if (def.arg !== 'none' && text[i] === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) throw new OutputTemplateError(`missing ']' after %${name}[`, at);
      arg = text.slice(i + 1, close);
      i = close + 1;
    } else if (def.arg === 'key' && text[i] === '.') {
      const m = /^[A-Za-z0-9_]+/.exec(text.slice(i + 1));
      if (m) {
        arg = m[0];
        dotted = true;
        i += 1 + arg.length;
      }
    }
    for (let k = 0; k < transformers.length; k++) {
      if (text[i] !== ')')
        throw new OutputTemplateError(`missing closing transformer parenthesis in %${name}`, at);
      i++;
    }
    let resolved;
    try {
      resolved = dotted ? resolveField(`${name}.${arg}`, undefined) : resolveField(name, arg);
    } catch (err) {
      if (err instanceof FieldError) throw new OutputTemplateError(err.message, at);
      throw err;
    }
    let key = resolved.text;
    for (const t of [...transformers].reverse()) key = `${t}(${key})`;
    if (literal) parts.push(literal);
    literal = '';
    parts.push({ key, get: resolved.get, def, transformers });
    if (!fields.includes(key)) fields.push(key);
  }
  if (literal) parts.push(literal);
  return containerInfoAt === undefined ? { parts, fields } : { parts, fields, containerInfoAt };
}

function transform(v: FieldValue | undefined, transformers: readonly Transformer[]): FieldValue | undefined {
  for (let k = transformers.length - 1; k >= 0 && typeof v === 'string'; k--)
    v = TRANSFORM[transformers[k]](v);
  return v;
}

/** The rendered text and output_fields for one event. */
export function renderOutput(
  t: OutputTemplate,
  ev: VigilEvent,
): { output: string; fields: Record<string, OutputFieldValue> } {
  let output = '';
  const fields: Record<string, OutputFieldValue> = {};
  for (const p of t.parts) {
    if (typeof p === 'string') {
      output += p;
      continue;
    }
    const v = transform(p.get(ev), p.transformers);
    output += formatFieldValue(p.def, v);
    fields[p.key] = jsonValue(p.def, v);
  }
  return { output, fields };
}

/** output_fields as Falco's JSON fills them: numbers and booleans typed, null for no value. */
function jsonValue(def: FieldDef, v: FieldValue | undefined): OutputFieldValue {
  if (v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'string' && def.type !== 'bytebuf') return v;
  return formatFieldValue(def, v);
}
