import assert from 'node:assert/strict';
import { test } from 'node:test';
import RE2 from 're2';
import { globMatcher } from '../../src/engine/condition/matchers.js';
import { requiredLiteral } from '../../src/engine/condition/regex-literal.js';
import { compileRegex } from '../../src/engine/condition/regex.js';

/**
 * A bound no linear engine comes near on a loaded machine, and no backtracking engine meets on
 * these inputs (it would need 2^n steps): the test tells the two apart, it measures nothing.
 */
const NEVER_BY_BACKTRACKING_MS = 5000;

/** Milliseconds one call of `f` takes. */
function timed(f: () => unknown): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

test('regex: RE2 syntax, matched against the whole string', () => {
  const m = (p: string, s: string): boolean => compileRegex(p)(s);
  assert.equal(m('cat /etc/[a-z]+', 'cat /etc/shadow'), true);
  assert.equal(m('cat', 'cat /etc/shadow'), false);
  assert.equal(m('a|b', 'ab'), false); // the alternation is anchored as a whole
  assert.equal(m('a|b', 'b'), true);
  assert.equal(m('(?i)CAT .*', 'cat x'), true);
  assert.equal(m('(?P<cmd>cat) x', 'cat x'), true);
  assert.equal(m('\\Acat.*\\z', 'cat x'), true);
  assert.equal(m('\\d{3}', '123'), true);
  assert.equal(m('[[:alpha:]]+', 'abc'), true);
  assert.equal(m('a.c', 'a\nc'), false); // `.` stops at a newline, as in Falco
  assert.equal(m('(?s)a.c', 'a\nc'), true);
  assert.equal(m('.', 'é'), true); // one code point
});

test('regex: patterns that backtrack exponentially in JavaScript run in linear time', () => {
  const cases: [string, string, boolean][] = [
    ['.*=[^:]*=.*', 'GLIBC_TUNABLES=' + '='.repeat(4060), true],
    ['.*=[^:]*=.*', ':'.repeat(4060) + '=', false],
    ['(a|a)*b', 'a'.repeat(10_000), false],
    ['(.*a){12}b', 'a'.repeat(10_000), false],
    ['.*a.*a.*a.*a.*a.*a.*b', 'a'.repeat(10_000), false],
    ['(a+)+$', 'a'.repeat(10_000) + '!', false],
  ];
  for (const [p, s, want] of cases) {
    const match = compileRegex(p);
    const ms = timed(() => assert.equal(match(s), want));
    assert.ok(ms < NEVER_BY_BACKTRACKING_MS, `${p} on ${s.length} characters took ${ms.toFixed(1)} ms`);
  }
});

test('glob: many stars stay linear; fnmatch semantics kept', () => {
  const g = (p: string, s: string, i = false): boolean => globMatcher(p, i)(s);
  const many = globMatcher('*a*a*a*a*a*a*a*a*b', false);
  const ms = timed(() => assert.equal(many('a'.repeat(10_000)), false));
  assert.ok(ms < NEVER_BY_BACKTRACKING_MS, `glob took ${ms.toFixed(1)} ms`);
  assert.equal(g('/etc/*', '/etc/x/y'), true); // `*` crosses '/'
  assert.equal(g('/tmp/?', '/tmp/ab'), false);
  assert.equal(g('/tmp/[!a]', '/tmp/b'), true);
  assert.equal(g('/tmp/[^a]', '/tmp/a'), false);
  assert.equal(g('/tmp/[]x]', '/tmp/]'), true);
  assert.equal(g('a\\*b', 'a*b'), true);
  assert.equal(g('a\\*b', 'axb'), false);
  assert.equal(g('a[b', 'a[b'), true);
  assert.equal(g('a.b(c)+', 'a.b(c)+'), true);
  assert.equal(g('*\nx', 'a\nx'), true); // `*` crosses newlines too
  assert.equal(g('/ETC/*', '/etc/x', true), true);
});

test('requiredLiteral: the longest run of characters every match contains', () => {
  const cases: [string, string | undefined][] = [
    ['cat /etc/[a-z]+', 'cat /etc/'],
    ['.*=[^:]*=.*', '='],
    ['abc*d', 'ab'],
    ['ab+cde', 'cde'],
    ['a{2}bc', 'bc'],
    ['abc{x|b}', undefined], // `{x` is text, `|` alternates
    ['x|yz', undefined],
    ['(?i)secret', undefined],
    ['(?s).*/secret', '/secret'], // (?s) changes only `.`
    ['(?is).*secret', undefined],
    ['(?:ab|cd)efg', 'efg'],
    ['[ab]cde[]x]fg', 'cde'],
    ['\\pLname\\.conf', '.conf'], // letters after an escape are skipped: never too much
    ['\\x41bc', undefined], // the escape's tail is skipped, never misread as text
    ['\\QA.B\\E', undefined],
    ['0[2-7][0-7]', '0'],
    ['.*', undefined],
  ];
  for (const [p, want] of cases) assert.equal(requiredLiteral(p), want, p);
});

test('requiredLiteral: the prefilter never changes an answer', () => {
  const patterns = [
    '.*/([.]aws/(credentials|config)|[.]kube/config)',
    '(.* )?/(tmp|var/tmp)(/[^ ]*)?/[.][^ ]*( .*)?',
    '0[0-7]*[1357][0-7][0-7]',
    '(?s).*(curl|wget) [^|]*[|] *(sudo +)?(ba|da|z|k)?sh( .*)?',
    'ab+c?d*e{1,2}f',
    '[]a]bc\\.d+',
    'x(y|z)*w',
    '[[:digit:]]ab\\]c',
  ];
  const alphabet = 'abcdefwxyz0123457./ ]k\n|';
  let seed = 7;
  const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (const p of patterns) {
    const plain = new RE2(`^(?:${p})$`, 'u');
    const match = compileRegex(p);
    const lit = requiredLiteral(p) ?? '';
    for (let k = 0; k < 3000; k++) {
      let s = '';
      const len = rand(12);
      for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
      // Half of the subjects carry the literal, so that matches are found too.
      if (k % 2 === 0) s = s.slice(0, len >> 1) + lit + s.slice(len >> 1);
      assert.equal(match(s), plain.test(s), `${p} on '${s}'`);
    }
  }
});
