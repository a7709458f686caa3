/**
 * Reading a Sigma rule document (Sigma specification v2): the metadata vigil carries over and
 * the log source and detection, with positions. A YAML file is a Sigma document when its top
 * level is a map with `detection` and `logsource`; Falco-format files are sequences.
 */
import type { Loc, SourceFile } from '../../yaml/source-file.js';
import {
  parseYaml,
  pairOf,
  YamlSyntaxError,
  type YMap,
  type YNode,
  type YScalar,
} from '../../yaml/yaml-tree.js';

/** A Sigma document is malformed (the file is not a valid rule): reported as a load error. */
export class SigmaError extends Error {
  constructor(
    readonly loc: Loc,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A valid Sigma rule that vigil cannot express faithfully (a field with no mapping, a log source
 * vigil does not observe, an aggregation): the rule is not converted, with this reason.
 */
export class SigmaUnsupported extends Error {
  constructor(
    readonly loc: Loc,
    message: string,
  ) {
    super(message);
  }
}

/** Sigma statuses, most trusted first (`--min-status` compares in this order). */
export const SIGMA_STATUSES = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] as const;
export type SigmaStatus = (typeof SIGMA_STATUSES)[number];

export interface LogSource {
  product?: string;
  category?: string;
  service?: string;
  loc: Loc;
}

export interface SigmaDoc {
  file: SourceFile;
  loc: Loc;
  title: string;
  id?: string;
  status?: SigmaStatus;
  level?: string;
  description?: string;
  author?: string;
  license?: string;
  date?: string;
  modified?: string;
  references: string[];
  tags: string[];
  falsepositives: string[];
  logsource: LogSource;
  detection: YMap;
}

/** True when a parsed YAML root is a Sigma rule (a map with `detection` and `logsource`). */
export function isSigmaRoot(root: YNode | null): root is YMap {
  return root !== null && root.kind === 'map' && !!pairOf(root, 'detection') && !!pairOf(root, 'logsource');
}

/** Parses `file` when it holds a Sigma rule; null when it is something else (a Falco rule file). */
export function parseSigmaFile(file: SourceFile): YMap | null {
  let root: YNode | null;
  try {
    root = parseYaml(file);
  } catch (err) {
    if (err instanceof YamlSyntaxError) return null;
    throw err;
  }
  return isSigmaRoot(root) ? root : null;
}

function text(map: YMap, key: string, required: boolean): string | undefined {
  const pair = pairOf(map, key);
  if (!pair || (pair.value.kind === 'scalar' && pair.value.value === null)) {
    if (required) throw new SigmaError(map.loc, `Sigma rule has no '${key}'`);
    return undefined;
  }
  if (pair.value.kind !== 'scalar') throw new SigmaError(pair.value.loc, `'${key}' must be a string`);
  return pair.value.text;
}

function strings(map: YMap, key: string): string[] {
  const pair = pairOf(map, key);
  if (!pair) return [];
  const v = pair.value;
  if (v.kind === 'scalar') return v.value === null ? [] : [v.text];
  if (v.kind !== 'seq') throw new SigmaError(v.loc, `'${key}' must be a list of strings`);
  return v.items.map((n) => {
    if (n.kind !== 'scalar') throw new SigmaError(n.loc, `items of '${key}' must be strings`);
    return n.text;
  });
}

function readLogSource(map: YMap): LogSource {
  const node = pairOf(map, 'logsource')!.value;
  if (node.kind !== 'map') throw new SigmaError(node.loc, "'logsource' must be a map");
  const ls: LogSource = { loc: node.loc };
  for (const k of ['product', 'category', 'service'] as const) {
    const v = text(node, k, false);
    if (v !== undefined) ls[k] = v.toLowerCase();
  }
  return ls;
}

/** The Sigma rule of a document root (see isSigmaRoot). Throws SigmaError when malformed. */
export function readSigmaDoc(file: SourceFile, root: YMap): SigmaDoc {
  const title = text(root, 'title', true)!.trim();
  if (title === '') throw new SigmaError(pairOf(root, 'title')!.value.loc, "'title' must be non-empty");
  const status = text(root, 'status', false)?.trim().toLowerCase();
  if (status !== undefined && !(SIGMA_STATUSES as readonly string[]).includes(status)) {
    throw new SigmaError(
      pairOf(root, 'status')!.value.loc,
      `unknown status '${status}' (expected ${SIGMA_STATUSES.join(', ')})`,
    );
  }
  const detection = pairOf(root, 'detection')!.value;
  if (detection.kind !== 'map') throw new SigmaError(detection.loc, "'detection' must be a map");
  return {
    file,
    loc: root.loc,
    title,
    ...opt('id', text(root, 'id', false)),
    ...opt('status', status as SigmaStatus | undefined),
    ...opt('level', text(root, 'level', false)?.trim().toLowerCase()),
    ...opt('description', text(root, 'description', false)?.trim()),
    ...opt('author', text(root, 'author', false)?.trim()),
    ...opt('license', text(root, 'license', false)?.trim()),
    ...opt('date', text(root, 'date', false)),
    ...opt('modified', text(root, 'modified', false)),
    references: strings(root, 'references'),
    tags: strings(root, 'tags'),
    falsepositives: strings(root, 'falsepositives'),
    logsource: readLogSource(root),
    detection,
  };
}

function opt<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

/** The condition scalars of a detection (`condition` may be a string or a list of them). */
export function conditionsOf(detection: YMap): YScalar[] {
  const pair = pairOf(detection, 'condition');
  if (!pair) throw new SigmaError(detection.loc, "'detection' has no 'condition'");
  const v = pair.value;
  const items = v.kind === 'seq' ? v.items : [v];
  if (items.length === 0) throw new SigmaError(v.loc, "'condition' is empty");
  return items.map((n) => {
    if (n.kind !== 'scalar' || n.value === null || n.text.trim() === '') {
      throw new SigmaError(n.loc, "'condition' must be a non-empty string");
    }
    return n;
  });
}
