/**
 * Where each value of a YAML document sits in its source, keyed by JSON pointer
 * (`/metrics/listen`, `/rules/paths/0`): the same paths ajv reports, so a schema
 * error can name the line and column a person has to edit. The YAML itself is
 * parsed by src/yaml/yaml-tree.ts, as rule files are.
 */
import { SourceFile, type Position } from '../yaml/source-file.js';
import { parseYaml, YamlSyntaxError, type YNode } from '../yaml/yaml-tree.js';

export type SourceSpot = Position;

export interface YamlPositions {
  /** Position of the value at this pointer. */
  value(pointer: string): SourceSpot | null;
  /** Position of the key that introduces this pointer, when it is a mapping entry. */
  key(pointer: string): SourceSpot | null;
  /** The nearest position for a pointer: its key or value, else its closest ancestor's. */
  nearest(pointer: string): SourceSpot;
}

export interface ParsedYaml {
  /** The document as JavaScript values (YAML core schema); undefined for an empty file. */
  value: unknown;
  positions: YamlPositions;
}

/** A YAML syntax error with its 1-based position. */
export class YamlError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(reason);
  }
}

const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Parses one YAML document with positions. Throws YamlError. */
export function parseYamlWithPositions(text: string, filename: string): ParsedYaml {
  const file = new SourceFile(filename, text);
  let root: YNode | null;
  try {
    root = parseYaml(file);
  } catch (err) {
    if (!(err instanceof YamlSyntaxError)) throw err;
    const at = file.position(err.offset);
    throw new YamlError(err.reason, at.line, at.col);
  }
  const valueAt = new Map<string, number>();
  const keyAt = new Map<string, number>();
  const walk = (node: YNode, pointer: string): void => {
    valueAt.set(pointer, node.loc.offset);
    if (node.kind === 'map') {
      for (const pair of node.pairs) {
        const child = `${pointer}/${escapePointer(pair.keyText)}`;
        keyAt.set(child, pair.key.loc.offset);
        walk(pair.value, child);
      }
    } else if (node.kind === 'seq') {
      node.items.forEach((item, i) => walk(item, `${pointer}/${i}`));
    }
  };
  if (root) walk(root, '');

  const spot = (offset: number | undefined): SourceSpot | null =>
    offset === undefined || offset < 0 ? null : file.position(offset);
  return {
    value: root?.value,
    positions: {
      value: (pointer) => spot(valueAt.get(pointer)),
      key: (pointer) => spot(keyAt.get(pointer)),
      nearest(pointer) {
        for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
          const found = spot(keyAt.get(p) ?? valueAt.get(p));
          if (found) return found;
          if (p === '') return { line: 1, col: 1 };
        }
      },
    },
  };
}
