/**
 * The warning for a list item that looks like the name of a list but names none: Falco takes such
 * an item as a literal, so `proc.name in (shell_binarys)` loads and never matches what was meant.
 * An item looks like a list name when it is written unquoted, is snake_case (lowercase letters and
 * digits with an underscore, no path or other characters) and either ends as list names do
 * (`_binaries`, `_list`, `_files`...) or is a typo away (two edits) from a defined list's name.
 * Quoted items, paths, numbers and names of lists defined anywhere never warn.
 */
import type { Expr, ValueExpr } from '../condition/ast.js';
import type { ListDef } from './collect.js';
import { diagnosticAt, type Diagnostic, type ItemRef } from './diagnostics.js';
import { LocatedText } from './text.js';

const SNAKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;
const LIST_SUFFIX =
  /_(?:binaries|bins|list|lists|files|filenames|dirs|directories|paths|images|containers|ports|procs|processes|programs|names|domains|addresses|addrs|ipaddrs|ips|networks|nets|users|groups|items|repositories|servers|hosts|commands|cmds|tools|extensions|namespaces)$/;

/** Levenshtein distance, giving up (returning max + 1) once it is above max. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

export class ListRefChecker {
  private readonly names: string[];

  constructor(private readonly lists: ReadonlyMap<string, ListDef>) {
    this.names = [...lists.keys()];
  }

  /** Why `item` looks like a list name that is not one, or null. */
  private looksLikeMissingList(item: string): string | null {
    if (this.lists.has(item) || !SNAKE.test(item)) return null;
    const near = this.names.find((n) => n.length >= 6 && distance(item, n, 2) <= 2);
    if (near !== undefined) return `did you mean '${near}'?`;
    return LIST_SUFFIX.test(item) ? 'it is taken as a literal value' : null;
  }

  private message(item: string, why: string): string {
    return `'${item}' looks like a list name, but no list is named so: ${why}`;
  }

  /** Items of `- list:` definitions. */
  checkLists(out: Diagnostic[]): void {
    for (const list of this.lists.values()) {
      const item: ItemRef = { kind: 'list', name: list.name };
      for (const { value, node } of list.items) {
        const c = node.loc.file.text[node.loc.offset];
        if (c === '"' || c === "'") continue;
        const why = this.looksLikeMissingList(value);
        if (why !== null) out.push(diagnosticAt(node.loc, item, this.message(value, why)));
      }
    }
  }

  /** Items of `in (...)`, `intersects (...)`, `pmatch (...)` in a condition (macros not entered). */
  checkCondition(e: Expr, out: Diagnostic[]): void {
    switch (e.kind) {
      case 'and':
      case 'or':
        for (const c of e.children) this.checkCondition(c, out);
        return;
      case 'not':
        return this.checkCondition(e.child, out);
      case 'check':
        if (e.right?.kind === 'list') for (const v of e.right.items) this.checkValue(v, out);
    }
  }

  private checkValue(v: ValueExpr, out: Diagnostic[]): void {
    if (v.quoted || !(v.origin instanceof LocatedText)) return;
    const why = this.looksLikeMissingList(v.value);
    if (why !== null)
      out.push(diagnosticAt(v.origin.locAt(v.start), v.origin.item, this.message(v.value, why)));
  }
}
