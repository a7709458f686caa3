/**
 * JSONata expressions vigil is given (an http sink's `transform`, `vigil alerts --where`), with
 * their regular expressions (`/.../`, `$match`, `$replace`, `$split`, `$contains`) run by RE2 in
 * place of JavaScript's RegExp: they match alert fields an attacker wrote (command lines, paths,
 * environment), and a backtracking pattern there would stall the agent's sink path.
 */
import jsonata from 'jsonata';
import RE2 from 're2';

/** Compiles `text`; throws on bad syntax, or on a regex RE2 refuses (not only when first evaluated). */
export function compileJsonata(text: string): jsonata.Expression {
  const expr = jsonata(text, { RegexEngine: RE2 as unknown as RegExpConstructor });
  for (const re of regexLiterals(expr.ast())) {
    try {
      new RE2(re);
    } catch (err) {
      throw new Error(`regex ${String(re)}: ${(err as Error).message}`, { cause: err });
    }
  }
  return expr;
}

/** The regex literals of a parsed expression (nodes `{ type: 'regex', value: RegExp }`). */
function regexLiterals(node: unknown, out: RegExp[] = []): RegExp[] {
  if (node === null || typeof node !== 'object') return out;
  const n = node as { type?: unknown; value?: unknown };
  if (n.type === 'regex' && n.value instanceof RegExp) out.push(n.value);
  for (const v of Object.values(node)) regexLiterals(v, out);
  return out;
}
