/**
 * YAML with positions. js-yaml 5 parses into a flat event stream that keeps
 * source offsets; this builds a small tree from it (every mapping, sequence,
 * key and scalar knows where it starts), alongside the JavaScript values
 * js-yaml constructs from the same events, so typing follows YAML's core
 * schema exactly and positions are exact.
 */
import * as yaml from 'js-yaml';
import { alignScalar, type Loc, type SourceFile } from './source-file.js';

interface NodeBase {
  loc: Loc;
  /** The value js-yaml constructed for this node (numbers, booleans, null...). */
  value: unknown;
}
export interface YScalar extends NodeBase {
  kind: 'scalar';
  /** The decoded text, before type resolution. */
  text: string;
  /** Source offset of each character of `text` (one more entry: the end). */
  offsets(): number[];
}
export interface YSeq extends NodeBase {
  kind: 'seq';
  items: YNode[];
}
export interface YPair {
  key: YNode;
  keyText: string;
  value: YNode;
}
export interface YMap extends NodeBase {
  kind: 'map';
  pairs: YPair[];
}
export type YNode = YScalar | YSeq | YMap;

/** A YAML syntax error, at a file offset. */
export class YamlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(reason);
  }
}

const { DOCUMENT, SEQUENCE, MAPPING, SCALAR, ALIAS, POP } = yaml.EVENT_ID;
const { SINGLE_QUOTED, DOUBLE_QUOTED, LITERAL_BLOCK, FOLDED_BLOCK } = yaml.SCALAR_STYLE;

/**
 * yaml-cpp (Falco's parser) accepts a flow collection closed at its parent's
 * indentation, as Falco's own falco_rules.yaml does:
 *
 *     - list: falco_privileged_images
 *       items: [
 *         ...
 *       ]
 *
 * YAML 1.2 calls that deficient indentation and js-yaml refuses it. Such a
 * closing bracket is indented by one more space in the text handed to the
 * parser; `shift` records each insertion so positions map back exactly.
 */
interface Parsed {
  events: yaml.Event[];
  docs: unknown[];
  text: string;
  /** Inserted-space positions (in parser text), ascending. */
  shifts: number[];
}

const MAX_REPAIRS = 1000;

/**
 * Bounds on what one document may cost, for every YAML vigil reads (rule files,
 * the config): a file vigil is given must not exhaust its memory or stack. A
 * few aliases can name each other into an exponential tree (a "billion laughs"),
 * so what aliases expand to is counted, not only how many there are.
 */
export const YAML_LIMITS = {
  /** Characters in one file. */
  maxChars: 16 * 1024 * 1024,
  /** Nested mappings and sequences. */
  maxDepth: 64,
  /** Alias uses (`*name`) in one document. */
  maxAliases: 100,
  /** Nodes all aliases of one document expand to, together. */
  maxAliasNodes: 100_000,
} as const;

function parseLenient(file: SourceFile): Parsed {
  let text = file.text;
  const shifts: number[] = [];
  for (let attempt = 0; ; attempt++) {
    try {
      const events = yaml.parseEvents(text, { filename: file.path, maxDepth: YAML_LIMITS.maxDepth });
      const docs = yaml.constructFromEvents(events, {
        source: text,
        filename: file.path,
        maxAliases: YAML_LIMITS.maxAliases,
      });
      return { events, docs, text, shifts };
    } catch (err) {
      if (!(err instanceof yaml.YAMLException)) throw err;
      const pos = err.mark?.position ?? 0;
      const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
      const m = /^[ ]*[\]}]/.exec(text.slice(lineStart));
      if (err.reason !== 'deficient indentation' || !m || attempt >= MAX_REPAIRS) {
        throw new YamlSyntaxError(err.reason, toSource(shifts, pos));
      }
      text = text.slice(0, lineStart) + ' ' + text.slice(lineStart);
      // Earlier insertions after this point move one character right.
      for (let k = 0; k < shifts.length; k++) if (shifts[k] >= lineStart) shifts[k]++;
      shifts.push(lineStart);
      shifts.sort((a, b) => a - b);
    }
  }
}

function toSource(shifts: readonly number[], offset: number): number {
  let n = 0;
  for (const s of shifts) if (s < offset) n++;
  return offset - n;
}

/** Parses one YAML document; null for an empty file. Throws YamlSyntaxError. */
export function parseYaml(file: SourceFile): YNode | null {
  if (file.text.length > YAML_LIMITS.maxChars) {
    const mib = YAML_LIMITS.maxChars / (1024 * 1024);
    throw new YamlSyntaxError(`file larger than ${mib} MiB (${file.text.length} characters)`, 0);
  }
  const parsed = parseLenient(file);
  const { events, docs } = parsed;
  const docStarts: number[] = [];
  events.forEach((e, i) => {
    if (e.type === DOCUMENT) docStarts.push(i);
  });
  if (docStarts.length > 1) {
    throw new YamlSyntaxError('a rule file holds one YAML document (found a second one)', 0);
  }
  if (docStarts.length === 0 || events[docStarts[0] + 1]?.type === POP) return null;
  const builder = new TreeBuilder(file, parsed);
  builder.pos = docStarts[0] + 1;
  return builder.node(docs[0]);
}

interface Shape {
  nodes: number;
  depth: number;
}

class TreeBuilder {
  pos = 0;
  private readonly events: yaml.Event[];
  /** Nodes aliases may still expand to. */
  private aliasBudget: number = YAML_LIMITS.maxAliasNodes;
  private readonly shapes = new WeakMap<object, Shape>();
  constructor(
    private readonly file: SourceFile,
    private readonly parsed: Parsed,
  ) {
    this.events = parsed.events;
  }

  private at(offset: number): number {
    return this.parsed.shifts.length === 0 ? offset : toSource(this.parsed.shifts, offset);
  }

  node(value: unknown): YNode {
    const e = this.events[this.pos++];
    const file = this.file;
    switch (e.type) {
      case SCALAR:
        return this.scalar(e, value);
      case SEQUENCE: {
        const items: YNode[] = [];
        const arr = Array.isArray(value) ? value : [];
        while (this.events[this.pos].type !== POP) items.push(this.node(arr[items.length]));
        this.pos++;
        return { kind: 'seq', loc: { file, offset: this.at(e.start) }, value, items };
      }
      case MAPPING: {
        const pairs: YPair[] = [];
        const obj = (value ?? {}) as Record<string, unknown>;
        while (this.events[this.pos].type !== POP) {
          const key = this.node(undefined);
          const keyText = key.kind === 'scalar' ? key.text : '';
          key.value = keyText;
          pairs.push({ key, keyText, value: this.node(obj[keyText]) });
        }
        this.pos++;
        return { kind: 'map', loc: { file, offset: this.at(e.start) }, value, pairs };
      }
      case ALIAS: {
        // An alias: its value is the anchored node's; its position is the alias itself.
        const offset = this.at(e.anchorStart > 0 ? e.anchorStart - 1 : 0);
        const shape = this.shapeOf(value);
        this.aliasBudget -= shape.nodes;
        if (this.aliasBudget < 0) {
          throw new YamlSyntaxError(
            `aliases expand to more than ${YAML_LIMITS.maxAliasNodes} nodes in this document`,
            offset,
          );
        }
        if (shape.depth > YAML_LIMITS.maxDepth) {
          throw new YamlSyntaxError(`alias nests deeper than ${YAML_LIMITS.maxDepth} levels`, offset);
        }
        return aliasNode(value, { file, offset });
      }
      default:
        throw new YamlSyntaxError('unexpected YAML structure', 0);
    }
  }

  /**
   * Nodes and depth `value` has as a tree (shared objects counted at every use), memoised per
   * object: an anchored node's own aliases were met, and measured, before it can be aliased.
   */
  private shapeOf(value: unknown): Shape {
    if (value === null || typeof value !== 'object') return { nodes: 1, depth: 0 };
    const known = this.shapes.get(value);
    if (known !== undefined) return known;
    const shape = { nodes: 1, depth: 1 };
    for (const v of Object.values(value)) {
      const inner = this.shapeOf(v);
      shape.nodes += inner.nodes + (Array.isArray(value) ? 0 : 1);
      shape.depth = Math.max(shape.depth, inner.depth + 1);
    }
    this.shapes.set(value, shape);
    return shape;
  }

  private scalar(e: yaml.ScalarEvent, value: unknown): YScalar {
    const file = this.file;
    const src = this.parsed.text;
    const text = yaml.getScalarValue(src, e);
    let offset = e.valueStart;
    if (e.style === SINGLE_QUOTED || e.style === DOUBLE_QUOTED) offset = e.valueStart - 1;
    else if (e.style === LITERAL_BLOCK || e.style === FOLDED_BLOCK) {
      while (offset < e.valueEnd && /\s/.test(src[offset])) offset++;
    }
    let cached: number[] | undefined;
    const offsets = (): number[] => {
      const raw = src.slice(e.valueStart, e.valueEnd);
      const map = alignScalar(text, raw, e.valueStart, e.style === DOUBLE_QUOTED);
      return this.parsed.shifts.length === 0 ? map : map.map((o) => this.at(o));
    };
    return {
      kind: 'scalar',
      loc: { file, offset: this.at(offset) },
      value: value === undefined ? text : value,
      text,
      offsets: () => (cached ??= offsets()),
    };
  }
}

function aliasNode(value: unknown, loc: Loc): YNode {
  if (Array.isArray(value)) return { kind: 'seq', loc, value, items: value.map((v) => aliasNode(v, loc)) };
  if (value !== null && typeof value === 'object') {
    const pairs = Object.entries(value).map(([k, v]) => ({
      key: aliasNode(k, loc),
      keyText: k,
      value: aliasNode(v, loc),
    }));
    return { kind: 'map', loc, value, pairs };
  }
  const text = value === null ? '' : String(value);
  return {
    kind: 'scalar',
    loc,
    value,
    text,
    offsets: () => new Array<number>(text.length + 1).fill(loc.offset),
  };
}

/** The pair of a mapping with this key, if any. */
export function pairOf(map: YMap, key: string): YPair | undefined {
  return map.pairs.find((p) => p.keyText === key);
}
