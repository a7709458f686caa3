/**
 * What each operator means for each field type, as in Falco: which
 * operators a type accepts, how a literal is parsed for a type, and the
 * predicate (value => boolean) an operator and its constant compile to.
 * A field with no value never reaches a predicate: the comparison is false.
 */
import type { FieldType, FieldValue } from '../fields/field-types.js';
import { canonicalIp, parseNet } from '../fields/ip.js';
import type { BinaryOperator, Operator } from './ast.js';
import { globMatcher, pathPrefixMatcher } from './matchers.js';
import { compileRegex } from './regex.js';

export type Predicate = ((v: FieldValue) => boolean) & {
  /** Set by plain equality: lets the compiler emit `get(ev) === c` (no second call). */
  equals?: string | number | boolean;
  /** Set by plain membership: lets the compiler emit `set.has(get(ev))`. */
  members?: ReadonlySet<unknown>;
  /** Set by contains/startswith/endswith: lets the compiler emit `v.includes(c)` (no closure call). */
  method?: { name: StringMethod; operand: string };
};
/** The string methods generated code may call on a field's value. */
export type StringMethod = 'includes' | 'startsWith' | 'endsWith';

const stringMethod = (name: StringMethod, operand: string, test: (v: FieldValue) => boolean): Predicate =>
  Object.assign(test, { method: { name, operand } });
/** A literal parsed for a field type. */
export type Constant = string | number | boolean | { net: ReturnType<typeof parseNet> & object };

const NUMERIC: ReadonlySet<FieldType> = new Set<FieldType>(['int64', 'uint64', 'port', 'reltime', 'abstime']);
const EQUALITY: readonly Operator[] = ['=', '==', '!=', 'in', 'intersects', 'exists'];
const STRING_ONLY: readonly Operator[] = [
  'contains',
  'icontains',
  'bcontains',
  'startswith',
  'bstartswith',
  'endswith',
  'glob',
  'iglob',
  'regex',
  'pmatch',
  'iequals',
  'istartswith',
  'iendswith',
  'iin',
];

/** null when `op` applies to `type`; otherwise why not (Falco's flt_is_comparable, naming the field). */
export function operatorRefusal(op: Operator, type: FieldType, field: string): string | null {
  if (type === 'list') {
    return op === 'in' || op === 'intersects' || op === 'exists'
      ? null
      : `list field '${field}' only supports operators 'exists', 'in' and 'intersects'`;
  }
  if (EQUALITY.includes(op)) return null;
  // Strings order by strcmp, as in Falco. bcontains/bstartswith: on byte buffers (evt.buffer) the
  // bytes themselves; on strings, their UTF-8 bytes.
  if (type === 'string' || type === 'bytebuf') return null;
  if (NUMERIC.has(type)) {
    return STRING_ONLY.includes(op) ? `'${op}' operator not supported for numeric field '${field}'` : null;
  }
  const kind = type === 'bool' ? 'bool' : 'ip address and network';
  return `'${op}' operator not supported for ${kind} field '${field}'`;
}

const INT = /^[+-]?[0-9]+$/;
const HEX = /^0[xX][0-9a-fA-F]+$/;

/** Parses a literal for a field type; returns an error message instead when it does not fit. */
export function parseConstant(text: string, type: FieldType, field: string): Constant | { error: string } {
  switch (type) {
    case 'string':
    case 'list':
    case 'bytebuf':
      return text;
    case 'bool':
      if (text === 'true') return true;
      if (text === 'false') return false;
      return { error: `'${text}' is not a valid boolean for field '${field}' (true or false)` };
    case 'ipaddr': {
      const ip = canonicalIp(text);
      return ip ?? { error: `'${text}' is not a valid IP address for field '${field}'` };
    }
    case 'ipnet': {
      const net = parseNet(text);
      return net
        ? { net }
        : { error: `'${text}' is not a valid network for field '${field}' (e.g. 10.0.0.0/8)` };
    }
    default: {
      const unsigned = type !== 'int64';
      if (HEX.test(text) || (INT.test(text) && !(unsigned && text.startsWith('-')))) {
        const n = HEX.test(text) ? parseInt(text, 16) : Number(text);
        if (Number.isSafeInteger(n) || Number.isFinite(n)) return n;
      }
      return { error: `'${text}' is not a valid ${unsigned ? 'unsigned ' : ''}number for field '${field}'` };
    }
  }
}

/** Hex byte string (`bcontains 7f454c46`) -> bytes; undefined when malformed. */
export function parseHexBytes(text: string): Buffer | undefined {
  return /^(?:[0-9a-fA-F]{2})+$/.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/**
 * Byte-wise contains/startswith: on a byte buffer (one character per byte) the needle's bytes as
 * characters; on a string, its UTF-8 form.
 */
function bytePredicate(op: 'bcontains' | 'bstartswith', needle: Buffer, bytebuf: boolean): Predicate {
  const ascii = needle.every((b) => b < 0x80);
  if (ascii || bytebuf) {
    // ASCII bytes occur in UTF-8 only as themselves: compare as text, no allocation.
    const s = needle.toString('latin1');
    return op === 'bcontains' ? (v) => (v as string).includes(s) : (v) => (v as string).startsWith(s);
  }
  return op === 'bcontains'
    ? (v) => Buffer.from(v as string, 'utf8').includes(needle)
    : (v) =>
        Buffer.from(v as string, 'utf8')
          .subarray(0, needle.length)
          .equals(needle);
}

/**
 * The predicate for `field op constant` (single-value operators). `c` was
 * parsed by parseConstant for the field type; regex/glob/bytes compile here,
 * once. Throws Error(message) for a malformed pattern.
 */
export function singlePredicate(op: BinaryOperator, c: Constant, raw: string, type?: FieldType): Predicate {
  if (typeof c === 'object') {
    const net = c.net;
    if (op === '!=') return (v) => !net.contains(v as string);
    return (v) => net.contains(v as string);
  }
  switch (op) {
    case '=':
    case '==':
      return Object.assign((v: FieldValue) => v === c, { equals: c });
    case '!=':
      return (v) => v !== c;
    // Numbers compare as numbers, strings as strcmp does (code unit order).
    case '<':
      return (v) => (v as number | string) < (c as number | string);
    case '<=':
      return (v) => (v as number | string) <= (c as number | string);
    case '>':
      return (v) => (v as number | string) > (c as number | string);
    case '>=':
      return (v) => (v as number | string) >= (c as number | string);
    case 'contains':
      return stringMethod('includes', c as string, (v) => (v as string).includes(c as string));
    case 'icontains': {
      const lower = (c as string).toLowerCase();
      return (v) => (v as string).toLowerCase().includes(lower);
    }
    case 'startswith':
      return stringMethod('startsWith', c as string, (v) => (v as string).startsWith(c as string));
    case 'endswith':
      return stringMethod('endsWith', c as string, (v) => (v as string).endsWith(c as string));
    case 'bcontains':
    case 'bstartswith': {
      const bytes = parseHexBytes(raw);
      if (bytes === undefined)
        throw new Error(`'${raw}' is not a hex byte string (e.g. 7f454c46) for '${op}'`);
      return bytePredicate(op, bytes, type === 'bytebuf');
    }
    case 'glob':
    case 'iglob': {
      const match = globMatcher(c as string, op === 'iglob');
      return (v) => match(v as string);
    }
    case 'regex': {
      const match = compileRegex(c as string);
      return (v) => match(v as string);
    }
    default:
      throw new Error(`operator '${op}' takes a list`);
  }
}

/** The predicate for `field in/intersects/pmatch (constants)` on a single-value field. */
export function listPredicate(op: 'in' | 'intersects' | 'pmatch', items: readonly Constant[]): Predicate {
  if (op === 'pmatch') return pathPrefixMatcher(items as string[]) as Predicate;
  const nets = items.filter(
    (c): c is { net: NonNullable<ReturnType<typeof parseNet>> } => typeof c === 'object',
  );
  if (nets.length > 0) return (v) => nets.some((n) => n.net.contains(v as string));
  const set = new Set(items as (string | number | boolean)[]);
  return Object.assign((v: FieldValue) => set.has(v as string), { members: set });
}

/** List-valued fields (fd.types): `in` = every value listed, `intersects` = some value listed. */
export function listFieldPredicate(op: 'in' | 'intersects', items: readonly Constant[]): Predicate {
  const set = new Set(items as string[]);
  if (op === 'in') return (v) => (v as readonly string[]).every((x) => set.has(x));
  return (v) => (v as readonly string[]).some((x) => set.has(x));
}

/** `field op val(other)`: both values known only per event. */
export function dynamicCompare(op: BinaryOperator, type: FieldType, a: FieldValue, b: FieldValue): boolean {
  if (type === 'list') {
    const bs = b as readonly string[];
    const as = a as readonly string[];
    return op === 'in' ? as.every((x) => bs.includes(x)) : as.some((x) => bs.includes(x));
  }
  if (type === 'ipnet' && (op === '=' || op === '==' || op === 'in' || op === 'intersects' || op === '!=')) {
    return op === '!=' ? a !== b : a === b;
  }
  switch (op) {
    case 'in':
    case 'intersects':
      return a === b;
    case 'pmatch':
      return pathPrefixMatcher([b as string])(a as string);
    case 'bcontains':
      return (a as string).includes(b as string);
    case 'bstartswith':
      return (a as string).startsWith(b as string);
    case 'glob':
    case 'iglob':
      return globMatcher(b as string, op === 'iglob')(a as string);
    default:
      return singlePredicate(op, b as string | number | boolean, String(b))(a);
  }
}
