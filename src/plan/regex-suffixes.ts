/**
 * Regular expressions (RE2 syntax, matched whole) on paths: the literal tails every match ends
 * with, so that the open prefilter can take `fd.name regex ...` as a set of suffixes.
 */
interface ReInfo {
  /** Every string the item matches, when few and known. */
  exact: Set<string> | null;
  /** Strings one of which every match ends with; null = unknown. */
  tails: Set<string> | null;
}

const UNKNOWN: ReInfo = { exact: null, tails: null };
const MAX_SET = 64;

function cross(a: Set<string>, b: Set<string>): Set<string> | null {
  if (a.size * b.size > MAX_SET) return null;
  const out = new Set<string>();
  for (const x of a) for (const y of b) out.add(x + y);
  return out;
}

function seq(a: ReInfo, b: ReInfo): ReInfo {
  if (b.exact === null) return { exact: null, tails: b.tails };
  const exact = a.exact !== null ? cross(a.exact, b.exact) : null;
  const tails = a.tails !== null ? cross(a.tails, b.exact) : b.exact;
  return { exact, tails: tails ?? b.exact };
}

function alt(items: ReInfo[]): ReInfo {
  const all = (k: 'exact' | 'tails'): Set<string> | null => {
    const out = new Set<string>();
    for (const i of items) {
      const s = i[k] ?? (k === 'tails' ? i.exact : null);
      if (s === null) return null;
      for (const v of s) out.add(v);
    }
    return out.size > MAX_SET ? null : out;
  };
  return { exact: all('exact'), tails: all('tails') };
}

/** Parses pattern[i..] up to ')' or the end; returns the info and where it stopped. */
function reParse(p: string, i: number): { info: ReInfo; end: number } | undefined {
  const branches: ReInfo[] = [];
  let cur: ReInfo = { exact: new Set(['']), tails: null };
  for (;;) {
    if (i >= p.length || p[i] === ')') {
      branches.push(cur);
      return { info: alt(branches), end: i };
    }
    if (p[i] === '|') {
      branches.push(cur);
      cur = { exact: new Set(['']), tails: null };
      i++;
      continue;
    }
    let item: ReInfo;
    const c = p[i];
    if (c === '(') {
      let j = i + 1;
      if (p[j] === '?') {
        if (p[j + 1] !== ':') return undefined;
        j += 2;
      }
      const inner = reParse(p, j);
      if (inner === undefined || p[inner.end] !== ')') return undefined;
      item = inner.info;
      i = inner.end + 1;
    } else if (c === '[') {
      const close = p.indexOf(']', i + 2);
      if (close < 0) return undefined;
      const body = p.slice(i + 1, close);
      item = /^[^\\^\]-]$/.test(body) ? { exact: new Set([body]), tails: null } : UNKNOWN;
      i = close + 1;
    } else if (c === '\\') {
      const e = p[i + 1];
      if (e === undefined || /[A-Za-z0-9]/.test(e)) return undefined;
      item = { exact: new Set([e]), tails: null };
      i += 2;
    } else if (c === '^' || c === '$') {
      item = { exact: new Set(['']), tails: null };
      i++;
    } else if ('.*+?{'.includes(c)) {
      if (c !== '.') return undefined; // a quantifier with nothing before it
      item = UNKNOWN;
      i++;
    } else {
      item = { exact: new Set([c]), tails: null };
      i++;
    }
    const q = /^(?:[*+?]|\{\d*(?:,\d*)?\})\??/.exec(p.slice(i));
    if (q) {
      // Repeated: a match of the whole may end with any repetition, or none of it.
      item = q[0][0] === '+' ? { exact: null, tails: item.tails ?? item.exact } : UNKNOWN;
      i += q[0].length;
    }
    cur = seq(cur, item);
  }
}

/** Literal tails one of which every whole match of the regex ends with; undefined when unknown. */
export function regexSuffixes(pattern: string): string[] | undefined {
  // A leading `(?s)` only lets `.` match a newline, and `.` is never part of a tail.
  const body = pattern.startsWith('(?s)') ? pattern.slice(4) : pattern;
  if (body.startsWith('(?')) return undefined;
  const r = reParse(body, 0);
  if (r === undefined || r.end !== body.length) return undefined;
  const tails = r.info.tails ?? r.info.exact;
  if (tails === null || tails.size === 0 || [...tails].some((t) => t === '')) return undefined;
  return [...tails];
}
