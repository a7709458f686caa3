/**
 * A Sigma detection as one Falco condition: the log source's events, then the condition with each
 * search written out on the mapped fields. auditd rules map per record type: an EXECVE search
 * becomes an exec and its arguments, a SYSCALL search the traced syscall it names, a PATH search
 * the path of a traced file call.
 */
import { isEventType } from '../../event/table.js';
import type { Loc } from '../../yaml/source-file.js';
import type { YScalar } from '../../yaml/yaml-tree.js';
import { parseSigmaCondition, type SigmaCondition } from './condition.js';
import { conditionsOf, SigmaError, SigmaUnsupported, type SigmaDoc } from './document.js';
import { emitTest } from './emit-test.js';
import {
  AUDIT_RECORDS,
  auditArgField,
  sourceMapping,
  type FieldEntry,
  type FieldMap,
  type SourceMapping,
  type SpecialField,
} from './logsource.js';
import type { FieldTest } from './modifiers.js';
import { readSelections, type Selection } from './selections.js';

export interface Detection {
  condition: string;
  /** Sigma field name -> vigil field, for the output line, in order of use. */
  fields: Map<string, string>;
}

export function convertDetection(doc: SigmaDoc): Detection {
  const sels = readSelections(doc.detection);
  const conditions = conditionsOf(doc.detection).map((c) => ({ node: c, tree: parseSigmaCondition(c) }));
  const fields = new Map<string, string>();
  const ls = doc.logsource;
  let writer: GroupWriter;
  let events = '';
  if (ls.product === 'linux' && ls.service === 'auditd' && ls.category === undefined) {
    writer = auditdWriter(sels, fields);
  } else {
    const mapping = sourceMapping(ls);
    if ('unsupported' in mapping) throw new SigmaUnsupported(ls.loc, mapping.unsupported);
    events = mapping.events;
    writer = (group) => writeGroup(group, mapping, fields);
  }
  const written = new Map<string, string>();
  const selText = (sel: Selection): string => {
    let t = written.get(sel.name);
    if (t === undefined) {
      const groups = sel.groups.map(writer);
      t = groups.length === 1 ? groups[0] : `(${groups.join(' or ')})`;
      written.set(sel.name, t);
    }
    return t;
  };
  const bodies = conditions.map((c) => conditionText(c.tree, sels, selText, c.node));
  const body = bodies.length === 1 ? bodies[0] : `(${bodies.join(' or ')})`;
  return { condition: events ? `${events} and ${body}` : body, fields };
}

type GroupWriter = (group: FieldTest[]) => string;

function conditionText(
  c: SigmaCondition,
  sels: ReadonlyMap<string, Selection>,
  selText: (s: Selection) => string,
  node: YScalar,
): string {
  const rec = (x: SigmaCondition): string => conditionText(x, sels, selText, node);
  switch (c.kind) {
    case 'and':
    case 'or':
      return `(${c.children.map(rec).join(` ${c.kind} `)})`;
    case 'not':
      return `not ${rec(c.child)}`;
    case 'ref': {
      const sel = sels.get(c.name);
      if (sel === undefined)
        throw new SigmaError(c.loc, `condition names '${c.name}', which is not a search of this detection`);
      return selText(sel);
    }
    case 'of': {
      const names = [...sels.keys()].filter((n) =>
        c.pattern === null ? !n.startsWith('_') : wildcard(c.pattern).test(n),
      );
      if (names.length === 0) {
        throw new SigmaError(c.loc, `condition: no search matches '${c.pattern ?? 'them'}'`);
      }
      const parts = names.map((n) => selText(sels.get(n)!));
      return parts.length === 1 ? parts[0] : `(${parts.join(c.all ? ' and ' : ' or ')})`;
    }
  }
}

function wildcard(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${re}$`);
}

/** The vigil field of a Sigma field, or why there is none. */
function lookupEntry(mapping: SourceMapping, name: string): FieldEntry | undefined {
  return mapping.fields.get(name.toLowerCase());
}

function mapped(mapping: SourceMapping, name: string, loc: Loc): FieldMap | SpecialField {
  const e = lookupEntry(mapping, name);
  if (e === undefined)
    throw new SigmaUnsupported(loc, `field '${name}' has no vigil counterpart in ${mapping.name}`);
  if ('unsupported' in e) throw new SigmaUnsupported(loc, `field '${name}': ${e.unsupported}`);
  return e;
}

function plainField(mapping: SourceMapping, name: string, loc: Loc): FieldMap {
  const e = mapped(mapping, name, loc);
  if (!('falco' in e)) throw new SigmaUnsupported(loc, `field '${name}' cannot be compared to another field`);
  return e;
}

/** One AND group of tests on a log source's fields. */
function writeGroup(
  group: FieldTest[],
  mapping: SourceMapping,
  fields: Map<string, string>,
  argFields = false,
): string {
  const parts = group.map((t) => {
    if (t.field === null) {
      if (mapping.keywords === undefined) {
        throw new SigmaUnsupported(
          t.loc,
          `keyword search (no field) has no vigil counterpart in ${mapping.name}`,
        );
      }
      return emitTest(t, { falco: mapping.keywords, type: 'string' }, () => {
        throw new SigmaUnsupported(t.loc, 'fieldref needs a field');
      });
    }
    const arg = argFields ? auditArgField(t.field) : undefined;
    const e = arg ?? mapped(mapping, t.field, t.loc);
    if ('special' in e) return special(e.special, t);
    fields.set(t.field, e.falco);
    return emitTest(t, e, (name, loc) => plainField(mapping, name, loc));
  });
  return parts.length === 1 ? parts[0] : `(${parts.join(' and ')})`;
}

/** Fields that choose the events: network Initiated, audit success. */
function special(kind: 'initiated' | 'success' | 'syscall', t: FieldTest): string {
  const values = t.matches.map((m) => ('value' in m ? String(m.value).toLowerCase() : ''));
  if (t.exists !== undefined || values.length !== 1) {
    throw new SigmaUnsupported(t.loc, `field '${t.field}' takes one value here`);
  }
  const v = values[0];
  if (kind === 'initiated' && (v === 'true' || v === 'false')) {
    return v === 'true' ? 'evt.type = connect' : 'evt.type in (accept, accept4)';
  }
  if (kind === 'success' && (v === 'yes' || v === 'no'))
    return `evt.failed = ${v === 'yes' ? 'false' : 'true'}`;
  throw new SigmaUnsupported(t.loc, `field '${t.field}': value '${v}' has no vigil counterpart`);
}

/** The record types a group's `type` test names (upper-cased), or null when it has none. */
function recordTypes(group: FieldTest[]): { types: string[]; rest: FieldTest[] } | null {
  const i = group.findIndex((t) => t.field?.toLowerCase() === 'type');
  if (i < 0) return null;
  const t = group[i];
  const types = t.matches.map((m) => {
    if (m.op !== 'eq') throw new SigmaUnsupported(t.loc, "the audit record 'type' must be given exactly");
    return m.value.toUpperCase();
  });
  return { types, rest: group.filter((_, j) => j !== i) };
}

/** The record type an untyped group's fields imply, when only one record type has them. */
function impliedType(group: FieldTest[]): string | undefined {
  const found = new Set<string>();
  for (const t of group) {
    const f = t.field;
    if (f === null) continue;
    if (/^a\d+$/.test(f)) {
      // SYSCALL records carry aN too, but as hex numbers: a value that is not one means EXECVE.
      const hexy = t.matches.some((m) => !('value' in m) || /^[0-9a-f]+$/i.test(String(m.value)));
      if (hexy) return undefined;
      found.add('EXECVE');
    } else if (['syscall', 'exe', 'comm'].includes(f.toLowerCase())) found.add('SYSCALL');
    else if (['name', 'nametype'].includes(f.toLowerCase())) found.add('PATH');
  }
  return found.size === 1 ? [...found][0] : undefined;
}

function auditdWriter(sels: ReadonlyMap<string, Selection>, fields: Map<string, string>): GroupWriter {
  const named = new Set<string>();
  for (const s of sels.values())
    for (const g of s.groups) for (const t of recordTypes(g)?.types ?? []) named.add(t);
  const only = named.size === 1 ? [...named][0] : undefined;
  return (group) => {
    const typed = recordTypes(group);
    const loc = group[0]?.loc;
    const types = typed?.types ?? [impliedType(group) ?? only].filter((x): x is string => x !== undefined);
    if (types.length === 0) {
      throw new SigmaUnsupported(
        loc,
        'a search without a record type, which no field of it implies (auditd)',
      );
    }
    const rest = typed?.rest ?? group;
    const alts = types.map((type) => auditRecord(type, rest, fields, loc));
    return alts.length === 1 ? alts[0] : `(${alts.join(' or ')})`;
  };
}

function auditRecord(type: string, tests: FieldTest[], fields: Map<string, string>, loc: Loc): string {
  const mapping = AUDIT_RECORDS.get(type);
  if (mapping === undefined)
    throw new SigmaUnsupported(loc, `audit record type '${type}' has no vigil event`);
  let events = mapping.events;
  let rest = tests;
  if (type === 'SYSCALL') {
    const i = tests.findIndex((t) => t.field?.toLowerCase() === 'syscall');
    // Naming no syscall, the search asks whether the process made any: every process makes one,
    // its exec, whose record carries the new exe. vigil alerts once per process, at the exec.
    if (i < 0 && tests.length === 0) throw new SigmaUnsupported(loc, 'a SYSCALL search with no fields');
    if (i < 0) return `(evt.type = execve and evt.res = SUCCESS and ${writeGroup(tests, mapping, fields)})`;
    const t = tests[i];
    const names = t.matches.map((m) => (m.op === 'eq' ? m.value.toLowerCase() : ''));
    for (const n of names) {
      if (!isEventType(n) || n === 'procexit')
        throw new SigmaUnsupported(t.loc, `syscall '${n || t.field}' is not traced by vigil`);
    }
    events = names.length === 1 ? `evt.type = ${names[0]}` : `evt.type in (${names.join(', ')})`;
    rest = tests.filter((_, j) => j !== i);
  }
  if (rest.length === 0) return `(${events})`;
  return `(${events} and ${writeGroup(rest, mapping, fields, type === 'EXECVE')})`;
}
