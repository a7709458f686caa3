/**
 * Where each value of a YAML document sits in its source, keyed by JSON pointer
 * (`/metrics/listen`, `/rules/paths/0`): the same paths ajv reports, so a schema
 * error can name the line and column a person has to edit.
 */
import * as yaml from 'js-yaml';

export interface SourceSpot {
  /** 1-based line and column. */
  line: number;
  col: number;
}

export interface YamlPositions {
  /** Position of the value at this pointer (for a mapping key: of its value). */
  value(pointer: string): SourceSpot | null;
  /** Position of the key that introduces this pointer, when it is a mapping entry. */
  key(pointer: string): SourceSpot | null;
  /** The nearest position for a pointer: itself, else its closest ancestor that exists. */
  nearest(pointer: string): SourceSpot;
}

interface Frame {
  kind: 'map' | 'seq' | 'doc';
  pointer: string;
  index: number;
  /** For a mapping: the key whose value comes next, or null when a key comes next. */
  pendingKey: string | null;
}

const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

export function lineColAt(source: string, offset: number): SourceSpot {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

/** Parses `source` (one document) into a pointer → offset table. Throws js-yaml's error on bad YAML. */
export function yamlPositions(source: string, filename?: string): YamlPositions {
  const events = yaml.parseEvents(source, filename ? { filename } : {});
  const valueAt = new Map<string, number>();
  const keyAt = new Map<string, number>();
  const stack: Frame[] = [];

  // Names the slot the next node fills in its parent, or null when the node is a mapping key.
  const slot = (): string | null => {
    const top = stack[stack.length - 1];
    if (!top || top.kind === 'doc') return '';
    if (top.kind === 'seq') return `${top.pointer}/${top.index++}`;
    if (top.pendingKey === null) return null;
    const pointer = `${top.pointer}/${escapePointer(top.pendingKey)}`;
    top.pendingKey = null;
    return pointer;
  };

  for (const ev of events) {
    switch (ev.type) {
      case yaml.EVENT_ID.DOCUMENT:
        stack.push({ kind: 'doc', pointer: '', index: 0, pendingKey: null });
        break;
      case yaml.EVENT_ID.MAPPING:
      case yaml.EVENT_ID.SEQUENCE: {
        // A collection used as a mapping key is not something a config file has: name it '?'.
        const pointer = slot() ?? `${stack[stack.length - 1].pointer}/?`;
        valueAt.set(pointer, ev.start);
        stack.push({
          kind: ev.type === yaml.EVENT_ID.MAPPING ? 'map' : 'seq',
          pointer,
          index: 0,
          pendingKey: null,
        });
        break;
      }
      case yaml.EVENT_ID.SCALAR:
      case yaml.EVENT_ID.ALIAS: {
        const start = ev.type === yaml.EVENT_ID.SCALAR ? ev.valueStart : ev.anchorStart;
        const pointer = slot();
        if (pointer !== null) {
          valueAt.set(pointer, start);
          break;
        }
        const top = stack[stack.length - 1];
        const key = ev.type === yaml.EVENT_ID.SCALAR ? yaml.getScalarValue(source, ev) : '*';
        top.pendingKey = key;
        keyAt.set(`${top.pointer}/${escapePointer(key)}`, start);
        break;
      }
      case yaml.EVENT_ID.POP:
        stack.pop();
        break;
    }
  }

  const spot = (offset: number | undefined): SourceSpot | null =>
    offset === undefined || offset < 0 ? null : lineColAt(source, offset);
  return {
    value: (pointer) => spot(valueAt.get(pointer)),
    key: (pointer) => spot(keyAt.get(pointer)),
    nearest(pointer) {
      for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
        const found = spot(keyAt.get(p) ?? valueAt.get(p));
        if (found) return found;
        if (p === '') return { line: 1, col: 1 };
      }
    },
  };
}
