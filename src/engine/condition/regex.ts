/**
 * The `regex` operator, as Falco has it: RE2 (the `re2` package, Google's
 * engine), matched against the whole string. RE2 runs in time linear in the
 * subject whatever the pattern, so an attacker who controls the matched value
 * (arguments, environment, paths) cannot make a rule slow; constructs that
 * need backtracking (backreferences, lookaround) do not exist in its syntax and
 * are refused when the rule loads.
 */
import RE2 from 're2';
import { requiredLiteral } from './regex-literal.js';

/** A compiled pattern: true when the whole string matches. */
export type Matcher = (s: string) => boolean;

/** Throws Error(message) for a pattern RE2 refuses. */
export function compileRegex(pattern: string): Matcher {
  // Compiled alone first: the error names the rule's own text, and a pattern that only
  // balances inside the anchoring group below (`a)|(b`) is refused rather than re-read.
  try {
    new RE2(pattern, 'u');
  } catch (e) {
    throw new Error(`invalid regex '${pattern}': ${(e as Error).message}`, { cause: e });
  }
  return anchored(`^(?:${pattern})$`, '', requiredLiteral(pattern));
}

/**
 * An RE2 for an already translated, anchored source (glob patterns), with a
 * substring every match contains tested first: `includes` costs far less than
 * the call into RE2, and most values lack the literal.
 */
export function anchored(source: string, flags: '' | 'i', literal: string | undefined): Matcher {
  const re = new RE2(source, `u${flags}`);
  if (literal === undefined || literal === '') return (s) => re.test(s);
  return (s) => s.includes(literal) && re.test(s);
}
