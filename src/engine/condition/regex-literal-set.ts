/**
 * requiredLiteralSet(pattern): substrings one of which every string the RE2 pattern matches
 * contains, or undefined when none is known. Read as requiredLiteral (regex-literal.ts) reads a
 * pattern, and also: a group of plain literal alternatives (`(tmp|var/tmp)`, not quantified)
 * multiplies the run (`/tmp/` or `/var/tmp/`), a class of one character (`[.]`) is that character.
 * Exact by construction, as requiredLiteral: every match holds one of the run's alternatives side by side.
 */
import { classEnd, groupEnd } from './regex-literal.js';

/** At most this many alternatives in a run: past that, the run ends. */
const MAX_ALTERNATIVES = 64;
const META = new Set([...'.^$*+?()[]{}|\\']);
const QUANTIFIER = new Set(['*', '?', '+', '{']);

/** An escape's character when it is plain punctuation (`\.`); undefined for `\d`, `\x41`... */
function escaped(n: string | undefined): string | undefined {
  return n === undefined || /[A-Za-z0-9]/.test(n) ? undefined : n;
}

/** A group body of plain literal alternatives (`a|b\.c`) as its literals; undefined when it is more. */
function alternatives(body: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '|') {
      out.push(cur);
      cur = '';
    } else if (c === '\\') {
      const e = escaped(body[++i]);
      if (e === undefined) return undefined;
      cur += e;
    } else if (META.has(c)) return undefined;
    else cur += c;
  }
  out.push(cur);
  return out;
}

/** A class's single character (`[.]`, `[\]]`); undefined when it holds more or is negated. */
function single(body: string): string | undefined {
  if (body.length === 1 && body !== '^') return body;
  if (body.length === 2 && body[0] === '\\') return escaped(body[1]);
  return undefined;
}

const minLength = (s: readonly string[]): number => Math.min(...s.map((x) => x.length));

export function requiredLiteralSet(p: string): string[] | undefined {
  if (p.includes('\\Q') || /\(\?[A-Za-z-]*i/.test(p)) return undefined;
  let best: string[] | undefined;
  let runs = [''];
  /** Whether the last thing read was one character appended to every run (a quantifier drops it). */
  let lastChar = false;
  const end = (): void => {
    if (runs.every((r) => r !== '') && (best === undefined || minLength(runs) > minLength(best))) {
      best = runs;
    }
    runs = [''];
    lastChar = false;
  };
  const append = (c: string): void => {
    runs = runs.map((r) => r + c);
    lastChar = true;
  };
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '|') return undefined;
    if (c === '(') {
      const close = groupEnd(p, i);
      const body = p.slice(i + 1, close).replace(/^\?:/, '');
      const alts = body.startsWith('?') ? undefined : alternatives(body);
      i = close;
      if (alts === undefined || QUANTIFIER.has(p[i + 1]) || runs.length * alts.length > MAX_ALTERNATIVES) {
        end();
        continue;
      }
      runs = runs.flatMap((r) => alts.map((a) => r + a));
      lastChar = false;
    } else if (c === '[') {
      const close = classEnd(p, i);
      const one = single(p.slice(i + 1, close));
      i = close;
      if (one === undefined) end();
      else append(one);
    } else if (c === '\\') {
      const e = escaped(p[i + 1]);
      i++;
      if (e !== undefined) append(e);
      else {
        // \d, \pL, \p{Greek}, \x41, \x{263a}, \123: not a plain character; skip their tails.
        end();
        while (i + 1 < p.length && /[A-Za-z0-9{}]/.test(p[i + 1])) i++;
      }
    } else if (c === '*' || c === '?' || c === '{') {
      if (lastChar) runs = runs.map((r) => r.slice(0, -1));
      end();
      const count = c === '{' ? /^\{\d+(?:,\d*)?\}/.exec(p.slice(i)) : null;
      if (count !== null) i += count[0].length - 1;
    } else if (c === '+' || c === '.' || c === '^' || c === '$') {
      end();
    } else append(c);
  }
  end();
  return best;
}
