/**
 * Compiled forms of the pattern operators, built once per condition:
 * `glob` (fnmatch without FNM_PATHNAME, as Falco calls it: `*` also crosses
 * '/', so `**` is the same as `*`) and `pmatch` (path prefixes compared
 * component-wise: /var/run matches /var/run and /var/run/x, not /var/running).
 */
import { pathComponents } from '../fields/path-facts.js';
import { anchored, type Matcher } from './regex.js';

export { pathComponents };

/**
 * fnmatch-style glob -> a matcher on the whole string: * ? [abc] [!a-z] [^a-z],
 * backslash escapes. Translated to RE2 (linear time in the subject, however many
 * stars the pattern has), with its longest literal run tested first.
 */
export function globMatcher(pattern: string, ignoreCase: boolean): Matcher {
  let re = '';
  let run = '';
  let literal = '';
  const endRun = (): void => {
    if (run.length > literal.length) literal = run;
    run = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      while (pattern[i + 1] === '*') i++;
      re += '(?s:.*)';
      endRun();
    } else if (c === '?') {
      re += '(?s:.)';
      endRun();
    } else if (c === '[') {
      const close = classEnd(pattern, i);
      if (close < 0) {
        re += '\\[';
        run += c;
        continue;
      }
      let body = pattern.slice(i + 1, close);
      let negate = false;
      if (body[0] === '!' || body[0] === '^') {
        negate = true;
        body = body.slice(1);
      }
      const escaped = body.replace(/[\\\]^[]/g, (m) => `\\${m}`);
      re += `[${negate ? '^' : ''}${escaped}]`;
      endRun();
      i = close;
    } else {
      const ch = c === '\\' && i + 1 < pattern.length ? pattern[++i] : c;
      re += escapeRegExp(ch);
      run += ch;
    }
  }
  endRun();
  return anchored(`^${re}$`, ignoreCase ? 'i' : '', ignoreCase ? undefined : literal);
}

/** Index of the ']' closing a class opened at `open` (a leading ']' is literal), or -1. */
function classEnd(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  return pattern.indexOf(']', i);
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

interface PrefixNode {
  end: boolean;
  next: Map<string, PrefixNode>;
}

/**
 * A set of path prefixes; `matches(p)` is true when the components of a prefix
 * begin the components of p: /var/run matches /var/run and /var/run/x, not
 * /var/running. Empty components do not count, as in Falco's path_prefix_search.
 */
export function pathPrefixMatcher(prefixes: readonly string[]): (path: string) => boolean {
  const root: PrefixNode = { end: false, next: new Map() };
  for (const p of prefixes) {
    let node = root;
    for (const c of pathComponents(p)) {
      let child = node.next.get(c);
      if (child === undefined) {
        child = { end: false, next: new Map() };
        node.next.set(c, child);
      }
      node = child;
    }
    node.end = true;
  }
  return (path) => {
    let node: PrefixNode | undefined = root;
    if (node.end) return true;
    for (const c of pathComponents(path)) {
      node = node.next.get(c);
      if (node === undefined) return false;
      if (node.end) return true;
    }
    return false;
  };
}
