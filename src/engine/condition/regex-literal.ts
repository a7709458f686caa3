/**
 * requiredLiteral(pattern): a substring every string the RE2 pattern matches
 * as a whole contains, or undefined when none is known. Exact by construction:
 * only the top level of a pattern without top-level alternation is read, where
 * every unquantified literal character is part of any match, and consecutive
 * ones appear side by side. Groups, classes, `.`, anchors and escapes that are
 * not plain punctuation end a run; a quantifier drops the character it
 * repeats (`+` keeps it but ends the run). Patterns with a case flag (`(?i)`
 * changes what a literal matches) or `\Q...\E` get none.
 */
export function requiredLiteral(p: string): string | undefined {
  // `(?s)`, `(?m)`, `(?U)` change no literal; `(?i)` (and `(?-i)`, kept simple) do.
  if (p.includes('\\Q') || /\(\?[A-Za-z-]*i/.test(p)) return undefined;
  let best = '';
  let run = '';
  const end = (): void => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '|') return undefined;
    if (c === '(') {
      end();
      i = groupEnd(p, i);
    } else if (c === '[') {
      end();
      i = classEnd(p, i);
    } else if (c === '\\') {
      const n = p[i + 1] ?? '';
      i++;
      if (/[A-Za-z0-9]/.test(n)) {
        // \d, \pL, \p{Greek}, \x41, \x{263a}, \123: not a plain character; skip their tails.
        end();
        while (i + 1 < p.length && /[A-Za-z0-9{}]/.test(p[i + 1])) i++;
      } else {
        run += n;
      }
    } else if (c === '*' || c === '?') {
      run = run.slice(0, -1);
      end();
    } else if (c === '{') {
      // A repetition count drops the character it repeats; any other brace is not read as text.
      const count = /^\{\d+(?:,\d*)?\}/.exec(p.slice(i));
      run = run.slice(0, -1);
      end();
      if (count !== null) i += count[0].length - 1;
    } else if (c === '+') {
      end();
    } else if (c === '.' || c === '^' || c === '$') {
      end();
    } else {
      run += c;
    }
  }
  end();
  return best === '' ? undefined : best;
}

/** Index of the ')' closing the group opened at `open` (escapes and classes skipped). */
export function groupEnd(p: string, open: number): number {
  let depth = 0;
  for (let i = open; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '[') i = classEnd(p, i);
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return p.length;
}

/** Index of the ']' closing the class opened at `open`: `[]a]`, `[^]a]`, `[[:alpha:]]`, `[\]]`. */
export function classEnd(p: string, open: number): number {
  let i = open + 1;
  if (p[i] === '^') i++;
  if (p[i] === ']') i++;
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '[' && p[i + 1] === ':') {
      const close = p.indexOf(':]', i + 2);
      if (close >= 0) i = close + 1;
    } else if (c === ']') return i;
  }
  return p.length;
}
