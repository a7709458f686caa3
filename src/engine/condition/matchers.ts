/**
 * Compiled forms of the pattern operators, built once per condition:
 * `glob` (fnmatch without FNM_PATHNAME, as Falco calls it: `*` also crosses
 * '/', so `**` is the same as `*`) and `pmatch` (path prefixes compared
 * component-wise: /var/run matches /var/run and /var/run/x, not /var/running).
 */

/** fnmatch-style glob -> anchored RegExp: * ? [abc] [!a-z] [^a-z], backslash escapes. */
export function globToRegExp(pattern: string, ignoreCase: boolean): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      while (pattern[i + 1] === '*') i++;
      re += '[\\s\\S]*';
    } else if (c === '?') {
      re += '[\\s\\S]';
    } else if (c === '[') {
      const close = classEnd(pattern, i);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      let negate = false;
      if (body[0] === '!' || body[0] === '^') {
        negate = true;
        body = body.slice(1);
      }
      const escaped = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      re += `[${negate ? '^' : ''}${escaped}]`;
      i = close;
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += escapeRegExp(pattern[++i]);
    } else {
      re += escapeRegExp(c);
    }
  }
  return new RegExp(`^${re}$`, ignoreCase ? 'i' : '');
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

/** A set of path prefixes; `matches(p)` is true when p equals a prefix or lies under one. */
export function pathPrefixMatcher(prefixes: readonly string[]): (path: string) => boolean {
  const set = new Set<string>();
  let root = false;
  for (const p of prefixes) {
    const trimmed = p.replace(/\/+$/, '');
    if (trimmed === '' && p.startsWith('/')) root = true;
    else set.add(trimmed);
  }
  return (path) => {
    if (root && path.startsWith('/')) return true;
    if (set.has(path)) return true;
    for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) {
      if (set.has(path.slice(0, i))) return true;
    }
    return false;
  };
}
