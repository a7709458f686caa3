/**
 * The Sigma condition language: selection names (identifiers), `and`, `or`, `not`, parentheses,
 * `1 of X*`, `all of X*`, `1 of them`, `all of them` (`any of` is `1 of`). Precedence: `not`
 * binds tighter than `and`, which binds tighter than `or`. An aggregation (`| count() ...`) is
 * refused as unsupported; anything else unexpected is a malformed rule.
 */
import type { Loc } from '../../yaml/source-file.js';
import type { YScalar } from '../../yaml/yaml-tree.js';
import { SigmaError, SigmaUnsupported } from './document.js';

export type SigmaCondition =
  | { kind: 'and' | 'or'; children: SigmaCondition[] }
  | { kind: 'not'; child: SigmaCondition }
  | { kind: 'ref'; name: string; loc: Loc }
  | { kind: 'of'; all: boolean; pattern: string | null; loc: Loc };

interface Token {
  text: string;
  start: number;
}

const TOKEN = /\s*(\(|\)|\||[^\s()|]+)/y;

export function parseSigmaCondition(node: YScalar): SigmaCondition {
  const text = node.text;
  const offsets = node.offsets();
  const locAt = (i: number): Loc => ({
    file: node.loc.file,
    offset: offsets[Math.min(i, offsets.length - 1)],
  });
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
    tokens.push({ text: m[1], start: TOKEN.lastIndex - m[1].length });
  }
  const pipe = tokens.findIndex((t) => t.text === '|');
  if (pipe >= 0) {
    throw new SigmaUnsupported(
      locAt(tokens[pipe].start),
      `aggregation '${text.slice(tokens[pipe].start).trim()}' is not supported (vigil evaluates one event at a time)`,
    );
  }
  let pos = 0;
  const peek = (): string | undefined => tokens[pos]?.text.toLowerCase();
  const here = (): Loc => locAt(tokens[pos]?.start ?? text.length);
  const fail = (what: string): never => {
    throw new SigmaError(here(), `condition: ${what}`);
  };

  const primary = (): SigmaCondition => {
    const t = tokens[pos];
    if (t === undefined) return fail('unexpected end, expected a selection name');
    const word = t.text.toLowerCase();
    if (t.text === '(') {
      pos++;
      const e = or();
      if (peek() !== ')') fail(`expected ')' but found ${tokens[pos] ? `'${tokens[pos].text}'` : 'the end'}`);
      pos++;
      return e;
    }
    if (word === '1' || word === 'any' || word === 'all') {
      if (tokens[pos + 1]?.text.toLowerCase() === 'of') {
        pos += 2;
        const target = tokens[pos];
        if (target === undefined || target.text === '(' || target.text === ')')
          return fail(`expected a name pattern or 'them' after '${t.text} of'`);
        pos++;
        const pattern = target.text.toLowerCase() === 'them' ? null : target.text;
        return { kind: 'of', all: word === 'all', pattern, loc: locAt(t.start) };
      }
      if (word !== '1') return fail(`expected 'of' after '${t.text}'`);
    }
    if (/^\d+$/.test(word) && tokens[pos + 1]?.text.toLowerCase() === 'of') {
      throw new SigmaUnsupported(
        locAt(t.start),
        `'${t.text} of' is not supported (only '1 of' and 'all of')`,
      );
    }
    if (t.text === ')' || ['and', 'or', 'not', 'of'].includes(word)) return fail(`unexpected '${t.text}'`);
    if (!/^[A-Za-z0-9_*.-]+$/.test(t.text)) return fail(`'${t.text}' is not a selection name`);
    pos++;
    return { kind: 'ref', name: t.text, loc: locAt(t.start) };
  };
  const not = (): SigmaCondition => {
    if (peek() === 'not') {
      pos++;
      return { kind: 'not', child: not() };
    }
    return primary();
  };
  const and = (): SigmaCondition => {
    const children = [not()];
    while (peek() === 'and') {
      pos++;
      children.push(not());
    }
    return children.length === 1 ? children[0] : { kind: 'and', children };
  };
  const or = (): SigmaCondition => {
    const children = [and()];
    while (peek() === 'or') {
      pos++;
      children.push(and());
    }
    return children.length === 1 ? children[0] : { kind: 'or', children };
  };
  const e = or();
  if (pos < tokens.length) fail(`unexpected '${tokens[pos].text}'`);
  return e;
}
