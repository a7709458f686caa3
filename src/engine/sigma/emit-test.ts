/**
 * One Sigma field test as Falco condition text, on the field's vigil counterpart. Sigma matching
 * is case-insensitive unless `cased`: strings use vigil's caseless operators (iequals, iin,
 * icontains, istartswith, iendswith, iglob). Values are always written as quoted strings, so no
 * value can change the condition's structure.
 */
import { canonicalIp, parseNet } from '../fields/ip.js';
import { compileRegex } from '../condition/regex.js';
import type { Loc } from '../../yaml/source-file.js';
import { SigmaUnsupported } from './document.js';
import type { FieldMap } from './logsource.js';
import type { FieldTest, ValueMatch } from './modifiers.js';

/** A Falco condition string literal. */
export function quote(v: string): string {
  return `"${v.replace(/[\\"\n\r\t\f\b]/g, (c) => ESC[c])}"`;
}
const ESC: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\f': '\\f',
  '\b': '\\b',
};

const OPS = {
  eq: ['=', 'iequals'],
  contains: ['contains', 'icontains'],
  startswith: ['startswith', 'istartswith'],
  endswith: ['endswith', 'iendswith'],
  glob: ['glob', 'iglob'],
} as const;

/** Resolves another Sigma field (for `fieldref`). */
export type FieldLookup = (name: string, loc: Loc) => FieldMap;

/** Condition text for `test` on the field `f`; `any(...)` joins its values (or, or and under `all`). */
export function emitTest(test: FieldTest, f: FieldMap, lookup: FieldLookup): string {
  if (test.exists !== undefined) return test.exists ? `${f.falco} exists` : `not ${f.falco} exists`;
  const cased = test.cased ? 0 : 1;
  const clauses: string[] = [];
  const eqs: string[] = [];
  for (const m of test.matches) {
    if (m.op === 'eq' && !test.all) eqs.push(m.value);
    else clauses.push(emitMatch(m, f, cased, test.loc, lookup));
  }
  if (eqs.length === 1) clauses.unshift(emitMatch({ op: 'eq', value: eqs[0] }, f, cased, test.loc, lookup));
  if (eqs.length > 1) clauses.unshift(membership(eqs, f, cased, test.loc));
  if (clauses.length === 0) throw new SigmaUnsupported(test.loc, `field '${test.field}' has no values`);
  if (clauses.length === 1) return clauses[0];
  return `(${clauses.join(test.all ? ' and ' : ' or ')})`;
}

/** Several exact values: one set lookup (`in`, or `iin` for caseless text). */
function membership(values: string[], f: FieldMap, cased: 0 | 1, loc: Loc): string {
  if (f.type === 'string') return `${f.falco} ${cased ? 'iin' : 'in'} (${values.map(quote).join(', ')})`;
  const items = values.map((v) => {
    if (f.type === 'number') return numeric(v, f.falco, loc);
    const ip = canonicalIp(v);
    if (ip === undefined) throw new SigmaUnsupported(loc, `'${v}' is not an IP address`);
    return quote(ip);
  });
  return `${f.falco} in (${items.join(', ')})`;
}

function numeric(v: string, field: string, loc: Loc): string {
  if (!/^-?\d+$/.test(v.trim())) throw new SigmaUnsupported(loc, `'${v}' is not a number for ${field}`);
  return v.trim();
}

function emitMatch(m: ValueMatch, f: FieldMap, cased: 0 | 1, loc: Loc, lookup: FieldLookup): string {
  const field = f.falco;
  if (m.op === 'null')
    return f.type === 'string' ? `(not ${field} exists or ${field} = "")` : `not ${field} exists`;
  if (f.type === 'number') return numberMatch(m, field, loc);
  if (f.type === 'ip') return ipMatch(m, f, loc);
  switch (m.op) {
    case 'eq':
    case 'contains':
    case 'startswith':
    case 'endswith':
    case 'glob':
      return `${field} ${OPS[m.op][cased]} ${quote(m.value)}`;
    case 're': {
      // Sigma's re finds the pattern anywhere; vigil's regex matches the whole value. Without a
      // top-level `|` the pattern needs no group, and its literals stay visible to the prefilter.
      const inner = topLevelAlternation(m.value) ? `(?:${m.value})` : m.value;
      const source = `(?s:.*)${inner}(?s:.*)`;
      try {
        compileRegex(m.value);
        compileRegex(source);
      } catch (e) {
        throw new SigmaUnsupported(loc, `regular expression not supported by RE2: ${(e as Error).message}`);
      }
      return `${field} regex ${quote(source)}`;
    }
    case 'fieldref': {
      const other = lookup(m.field, loc);
      if (other.type !== f.type)
        throw new SigmaUnsupported(loc, `fieldref '${m.field}': the fields differ in type`);
      return `${field} ${OPS[m.how][cased]} val(${other.falco})`;
    }
    default:
      throw new SigmaUnsupported(loc, `'${m.op}' does not apply to the text field ${field}`);
  }
}

/** True when `re` has a `|` outside groups and classes. */
function topLevelAlternation(re: string): boolean {
  let depth = 0;
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '\\') i++;
    else if (c === '[') {
      i++;
      if (re[i] === '^') i++;
      if (re[i] === ']') i++;
      while (i < re.length && re[i] !== ']') i += re[i] === '\\' ? 2 : 1;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

function numberMatch(m: ValueMatch, field: string, loc: Loc): string {
  switch (m.op) {
    case 'eq':
      return `${field} = ${numeric(m.value, field, loc)}`;
    case 'lt':
      return `${field} < ${m.value}`;
    case 'lte':
      return `${field} <= ${m.value}`;
    case 'gt':
      return `${field} > ${m.value}`;
    case 'gte':
      return `${field} >= ${m.value}`;
    default:
      throw new SigmaUnsupported(loc, `'${m.op}' does not apply to the numeric field ${field}`);
  }
}

/** IP fields: exact addresses, networks (`cidr`), and whole-octet prefixes (`startswith: '10.'`). */
function ipMatch(m: ValueMatch, f: FieldMap, loc: Loc): string {
  if (m.op === 'eq') {
    const ip = canonicalIp(m.value);
    if (ip === undefined) throw new SigmaUnsupported(loc, `'${m.value}' is not an IP address`);
    return `${f.falco} = ${quote(ip)}`;
  }
  let net: string | undefined;
  if (m.op === 'cidr') net = m.value;
  if ((m.op === 'startswith' || m.op === 'glob') && f.net) {
    const prefix =
      m.op === 'glob'
        ? /^((?:\d{1,3}\.){1,3})\*$/.exec(m.value)?.[1]
        : /^((?:\d{1,3}\.){1,3})$/.exec(m.value)?.[1];
    if (prefix !== undefined) {
      const octets = prefix.split('.').filter((x) => x !== '');
      net = `${[...octets, '0', '0', '0'].slice(0, 4).join('.')}/${octets.length * 8}`;
    }
  }
  if (net !== undefined && f.net !== undefined && parseNet(net)) return `${f.net} = ${quote(net)}`;
  throw new SigmaUnsupported(loc, `'${m.op}' on the address ${f.falco} has no exact form (use cidr)`);
}
