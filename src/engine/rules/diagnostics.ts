/**
 * Rule-file errors and warnings. Every message names the place and the item:
 * `file:line:col: rule 'NAME': what is wrong`, the form `vigil rules check`
 * prints and editors can jump to.
 */
import type { Loc } from '../../yaml/source-file.js';

/** The item a message is about: `rule 'Name'`, `macro 'name'`, `list 'name'`. */
export interface ItemRef {
  kind: 'rule' | 'macro' | 'list';
  name: string;
}

export function describeItem(item: ItemRef): string {
  return `${item.kind} '${item.name}'`;
}

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  item: ItemRef | null;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.item ? describeItem(d.item) + ': ' : ''}${d.message}`;
}

/** A load warning as `vigil rules check` prints it (`text`) and `vigil run` logs it (all fields). */
export interface WarningReport {
  text: string;
  /** file:line:col */
  where: string;
  /** `rule 'Name'`, `macro 'name'`, `list 'name'` */
  item?: string;
  /** The rule's name, when the warning is about a rule. */
  rule?: string;
}

export function warningReport(d: Diagnostic): WarningReport {
  const r: WarningReport = { text: `warning: ${formatDiagnostic(d)}`, where: `${d.file}:${d.line}:${d.col}` };
  if (d.item) r.item = describeItem(d.item);
  if (d.item?.kind === 'rule') r.rule = d.item.name;
  return r;
}

export function diagnosticAt(loc: Loc, item: ItemRef | null, message: string): Diagnostic {
  const { line, col } = loc.file.position(loc.offset);
  return { file: loc.file.path, line, col, item, message };
}

/** One problem in a rule file; loading collects them and then fails as a whole. */
export class RuleError extends Error {
  readonly diagnostic: Diagnostic;
  constructor(loc: Loc, item: ItemRef | null, message: string) {
    const d = diagnosticAt(loc, item, message);
    super(formatDiagnostic(d));
    this.diagnostic = d;
  }
}

/** Loading failed: nothing was loaded (all-or-nothing), here is every reason found. */
export class RulesetLoadError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
  }
}
