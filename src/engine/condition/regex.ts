/**
 * The `regex` operator. Falco matches with RE2 (whole string, linear time);
 * vigil uses JavaScript's RegExp, so two things are done at compile time:
 *  - RE2 spellings JS lacks are translated: `(?P<name>`, leading inline flags
 *    `(?i)` `(?s)` `(?m)`, `\A` and `\z`;
 *  - patterns repeating without bound a group that itself repeats (`(a+)+`,
 *    `(x*y)*`), the ones that make a backtracking engine take exponential time on
 *    crafted input, are refused:
 *    event data is attacker-controlled, and RE2 would not have that risk.
 */

/** Throws Error(message) for a malformed or unsafe pattern. */
export function compileRegex(pattern: string): RegExp {
  let body = pattern;
  let flags = '';
  const inline = /^\(\?([ims]+)\)/.exec(body);
  if (inline) {
    flags = [...new Set(inline[1])].join('');
    body = body.slice(inline[0].length);
  }
  body = body
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$');
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${body})$`, flags);
  } catch (e) {
    const why = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new Error(`invalid regex '${pattern}': ${why}`, { cause: e });
  }
  if (nestedQuantifier(body)) {
    throw new Error(`regex '${pattern}' nests quantifiers (like (a+)+), which can take exponential time`);
  }
  return re;
}

/** A quantifier that repeats (`*`, `+`, `{2}`, `{1,}`...); `?`, `{0,1}` and `{1}` do not. */
const QUANTIFIER = /^(?:[*+?]|\{(\d+)(,(\d*))?\})\??/;
function repeats(q: RegExpExecArray): boolean {
  if (q[0][0] === '?') return false;
  if (q[1] === undefined) return true;
  const max = q[2] === undefined ? Number(q[1]) : q[3] === '' ? Infinity : Number(q[3]);
  return max > 1;
}

function unbounded(q: RegExpExecArray): boolean {
  return q[1] === undefined || (q[2] !== undefined && q[3] === '');
}

/** True when a repeated group contains a repeated item (star height above one). */
function nestedQuantifier(p: string): boolean {
  // For each open group: whether a repeating quantifier occurred inside it.
  const stack: boolean[] = [];
  let inner = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      // Skip a character class: quantifier characters inside it are literal.
      i++;
      if (p[i] === '^') i++;
      if (p[i] === ']') i++;
      while (i < p.length && p[i] !== ']') i += p[i] === '\\' ? 2 : 1;
      continue;
    }
    if (c === '(') {
      stack.push(inner);
      inner = false;
      // `(?:`, `(?<name>`, `(?=`: the `?` is a group modifier, not a quantifier.
      if (p[i + 1] === '?') i++;
      continue;
    }
    if (c === ')') {
      const groupRepeats: boolean = inner;
      inner = (stack.pop() ?? false) || groupRepeats;
      const q = QUANTIFIER.exec(p.slice(i + 1));
      if (q !== null && repeats(q)) {
        // A bounded outer count ({3}) stays polynomial; unbounded over unbounded does not.
        if (groupRepeats && unbounded(q)) return true;
        inner = true;
      }
      continue;
    }
    const q = QUANTIFIER.exec(p.slice(i));
    if (q !== null && repeats(q)) inner = true;
  }
  return false;
}
