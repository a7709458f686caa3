/**
 * Sigma values and field modifiers (specification v2) turned into matches: what a value of a
 * detection item asks of a field, before any field mapping. String values are case-insensitive
 * unless `cased`; `*` and `?` are wildcards, `\*`, `\?` and `\\` their literal forms (a
 * backslash before anything else is itself).
 */
import type { Loc } from '../../yaml/source-file.js';
import type { YNode } from '../../yaml/yaml-tree.js';
import { SigmaError, SigmaUnsupported } from './document.js';

/** One value test. Patterns are Falco glob syntax; `re` is an RE2 source matched anywhere. */
export type ValueMatch =
  | { op: 'eq' | 'contains' | 'startswith' | 'endswith'; value: string }
  | { op: 'glob'; value: string }
  | { op: 're'; value: string }
  | { op: 'cidr'; value: string }
  | { op: 'lt' | 'lte' | 'gt' | 'gte'; value: number }
  | { op: 'null' }
  | { op: 'fieldref'; field: string; how: 'eq' | 'contains' | 'startswith' | 'endswith' };

/** A detection item: one field (null for a keyword search) and its values, ORed unless `all`. */
export interface FieldTest {
  field: string | null;
  cased: boolean;
  all: boolean;
  /** `|exists`: the whole test is whether the field has a value (true) or not (false). */
  exists?: boolean;
  matches: ValueMatch[];
  loc: Loc;
}

const KNOWN = new Set([
  'contains',
  'startswith',
  'endswith',
  'all',
  're',
  'i',
  'm',
  's',
  'cidr',
  'exists',
  'base64',
  'base64offset',
  'windash',
  'cased',
  'lt',
  'lte',
  'gt',
  'gte',
  'fieldref',
  'wide',
  'utf16le',
  'utf16be',
  'utf16',
  'expand',
]);

type Part = string | { wild: '*' | '?' };

/** A Sigma string value split into literal text and wildcards. */
export function splitWildcards(s: string): Part[] {
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length && (s[i + 1] === '*' || s[i + 1] === '?' || s[i + 1] === '\\')) {
      lit += s[++i];
    } else if (c === '*' || c === '?') {
      if (lit) parts.push(lit);
      lit = '';
      parts.push({ wild: c });
    } else {
      lit += c;
    }
  }
  if (lit) parts.push(lit);
  return parts;
}

/** Falco glob text for parts: literals escaped (`*?[]\`), wildcards kept. */
function globOf(parts: readonly Part[]): string {
  return parts.map((p) => (typeof p === 'string' ? p.replace(/[*?[\]\\]/g, '\\$&') : p.wild)).join('');
}

/** The match for a value's parts under contains/startswith/endswith (or none). */
function stringMatch(parts: Part[], how: 'eq' | 'contains' | 'startswith' | 'endswith'): ValueMatch {
  const wild = parts.some((p) => typeof p !== 'string');
  if (!wild) return { op: how, value: parts.join('') };
  const star: Part = { wild: '*' };
  const pre = how === 'contains' || how === 'endswith' ? [star] : [];
  const post = how === 'contains' || how === 'startswith' ? [star] : [];
  return { op: 'glob', value: globOf([...pre, ...parts, ...post]) };
}

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];

/** `windash`: every option dash (at the start of a word) in each of its spellings. */
function windash(value: string, loc: Loc): string[] {
  const at: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if ((value[i] === '-' || value[i] === '/') && (i === 0 || /\s/.test(value[i - 1]))) at.push(i);
  }
  if (at.length > 4) throw new SigmaUnsupported(loc, `windash: more than 4 option dashes in '${value}'`);
  let out = [value];
  for (const i of at) out = out.flatMap((v) => DASHES.map((d) => v.slice(0, i) + d + v.slice(i + 1)));
  return out;
}

function encode(value: string, encoding: string): Buffer {
  switch (encoding) {
    case 'wide':
    case 'utf16le':
      return Buffer.from(value, 'utf16le');
    case 'utf16be':
      return Buffer.from(value, 'utf16le').swap16();
    case 'utf16':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(value, 'utf16le')]);
    default:
      return Buffer.from(value, 'utf8');
  }
}

/** `base64offset`: the three encodings of `bytes` at each offset in a 3-byte group, trimmed to the stable part. */
function base64Offsets(bytes: Buffer): string[] {
  const starts = [0, 2, 3];
  const ends = [0, -3, -2];
  return [0, 1, 2].map((i) => {
    const enc = Buffer.concat([Buffer.alloc(i), bytes]).toString('base64');
    const end = ends[(bytes.length + i) % 3];
    return enc.slice(starts[i], end === 0 ? undefined : end);
  });
}

/** The scalar values of an item: one value or a list of them. */
function valueNodes(node: YNode): YNode[] {
  if (node.kind === 'seq') return node.items;
  return [node];
}

/**
 * Reads one detection item: `field|mod|mod: value(s)`. `keyText` is the key as written (null for
 * a keyword list). Throws SigmaError for unknown modifiers and values of the wrong kind,
 * SigmaUnsupported for modifiers vigil does not evaluate (`expand`).
 */
export function readFieldTest(keyText: string | null, keyLoc: Loc, valueNode: YNode): FieldTest {
  const [rawField, ...mods] = (keyText ?? '').split('|');
  const field = keyText === null || rawField === '' ? null : rawField;
  const test: FieldTest = { field, cased: false, all: false, matches: [], loc: keyLoc };
  // A keyword is searched for anywhere in the event's text.
  let how: 'eq' | 'contains' | 'startswith' | 'endswith' = field === null ? 'contains' : 'eq';
  let kind: 'string' | 're' | 'cidr' | 'cmp' | 'fieldref' | 'exists' = 'string';
  let cmp: 'lt' | 'lte' | 'gt' | 'gte' = 'lt';
  const reFlags: string[] = [];
  const transforms: string[] = [];
  let encoding = 'utf8';
  for (const m of mods) {
    const mod = m.toLowerCase();
    if (!KNOWN.has(mod)) throw new SigmaError(keyLoc, `unknown modifier '${m}'`);
    if (mod === 'contains' || mod === 'startswith' || mod === 'endswith') how = mod;
    else if (mod === 'all') test.all = true;
    else if (mod === 'cased') test.cased = true;
    else if (mod === 're' || mod === 'cidr' || mod === 'fieldref' || mod === 'exists') kind = mod;
    else if (mod === 'i' || mod === 'm' || mod === 's') {
      if (kind !== 're') throw new SigmaError(keyLoc, `modifier '${m}' applies to 're' only`);
      reFlags.push(mod);
    } else if (mod === 'lt' || mod === 'lte' || mod === 'gt' || mod === 'gte') {
      kind = 'cmp';
      cmp = mod;
    } else if (mod === 'wide' || mod.startsWith('utf16')) encoding = mod;
    else if (mod === 'expand')
      throw new SigmaUnsupported(keyLoc, "modifier 'expand' (placeholders) is not supported");
    else transforms.push(mod);
  }
  if (field === null && kind !== 'string') {
    throw new SigmaError(keyLoc, `modifier '${kind}' needs a field`);
  }
  const nodes = valueNodes(valueNode);
  if (kind === 'exists') {
    const v = nodes.length === 1 && nodes[0].kind === 'scalar' ? nodes[0].value : undefined;
    if (typeof v !== 'boolean') throw new SigmaError(valueNode.loc, "'exists' takes true or false");
    test.exists = v;
    return test;
  }
  for (const n of nodes) {
    if (n.kind !== 'scalar')
      throw new SigmaError(n.loc, 'a detection value must be a string, number or null');
    if (n.value === null) {
      test.matches.push({ op: 'null' });
      continue;
    }
    test.matches.push(...valueMatches(n.text, n.loc));
  }
  return test;

  function valueMatches(text: string, loc: Loc): ValueMatch[] {
    switch (kind) {
      case 're': {
        const flags = reFlags.length > 0 ? `(?${[...new Set(reFlags)].join('')})` : '';
        return [{ op: 're', value: `${flags}${text}` }];
      }
      case 'cidr':
        return [{ op: 'cidr', value: text }];
      case 'cmp': {
        const n = Number(text);
        if (text.trim() === '' || !Number.isFinite(n)) {
          throw new SigmaError(loc, `'${cmp}' takes a number, not '${text}'`);
        }
        return [{ op: cmp, value: n }];
      }
      case 'fieldref':
        return [{ op: 'fieldref', field: text, how }];
      default:
        return stringMatches(text, loc);
    }
  }

  function stringMatches(text: string, loc: Loc): ValueMatch[] {
    let values = [text];
    let literal = false;
    for (const t of transforms) {
      if (t === 'windash') values = values.flatMap((v) => windash(v, loc));
      else {
        if (values.some((v) => splitWildcards(v).some((p) => typeof p !== 'string'))) {
          throw new SigmaUnsupported(loc, `'${t}' of a value with wildcards is not supported`);
        }
        const bytes = values.map((v) => encode(splitWildcards(v).join(''), encoding));
        values = t === 'base64' ? bytes.map((b) => b.toString('base64')) : bytes.flatMap(base64Offsets);
        literal = true;
      }
    }
    if (encoding !== 'utf8' && !literal) {
      throw new SigmaUnsupported(loc, `'${encoding}' without 'base64' or 'base64offset' is not supported`);
    }
    return values.map((v) => (literal ? { op: how, value: v } : stringMatch(splitWildcards(v), how)));
  }
}
