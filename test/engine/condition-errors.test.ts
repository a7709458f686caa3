/**
 * Malformed conditions: each case asserts the exact message and the exact
 * span (start/end offsets into the text) of the ConditionError. `at` is the
 * text the error must cover; `nth` picks which occurrence when it repeats.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Expr } from '../../src/engine/condition/ast.js';
import { compileCondition } from '../../src/engine/condition/compile-condition.js';
import { ConditionError } from '../../src/engine/condition/condition-error.js';
import { parseCondition } from '../../src/engine/condition/parse.js';

interface Case {
  text: string;
  message: string;
  /** The covered text; '' for an empty span. */
  at: string;
  nth?: number;
  /** Explicit start when `at` is '' (end of text...). */
  start?: number;
}

const origin = { rule: 'r' };
const macroOrigin = { macro: 'm' };
const MACROS: Record<string, string> = {
  loop_a: 'proc.name = x and loop_b',
  loop_b: 'not loop_a',
  self: 'self or proc.name = y',
  bad_field: 'proc.name = x or proc.nmae = y',
};
const LISTS = new Map([['shells', ['bash', 'sh']]]);

function run(text: string): void {
  const macros = new Map<string, Expr>(
    Object.entries(MACROS).map(([k, v]) => [k, parseCondition(v, { ...macroOrigin, name: k })]),
  );
  compileCondition(parseCondition(text, origin), { lists: LISTS, macros });
}

function expectError(c: Case, source = c.text): void {
  let err: unknown;
  try {
    run(c.text);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConditionError, `no ConditionError for ${JSON.stringify(c.text)}: ${String(err)}`);
  assert.equal(err.message, c.message, c.text);
  let start = c.start ?? -1;
  if (c.start === undefined) {
    for (let i = 0; i <= (c.nth ?? 0); i++) start = source.indexOf(c.at, start + 1);
  }
  assert.ok(start >= 0, `'${c.at}' not in ${source}`);
  assert.deepEqual([err.start, err.end], [start, start + c.at.length], `span for ${JSON.stringify(c.text)}`);
}

const SYNTAX: Case[] = [
  { text: '', message: 'empty condition', at: '' },
  { text: '   ', message: 'empty condition', at: '   ' },
  { text: 'proc.name = x and and proc.name = y', message: "unexpected token 'and'", at: 'and', nth: 1 },
  { text: 'or proc.name = x', message: "unexpected token 'or'", at: 'or' },
  { text: 'proc.name = x and', message: 'unexpected end of condition', at: '', start: 17 },
  { text: 'not', message: 'unexpected end of condition', at: '', start: 3 },
  { text: '(proc.name = x', message: 'unbalanced parenthesis', at: '(' },
  { text: 'proc.name = x)', message: 'unbalanced parenthesis', at: ')' },
  { text: '((a and b) or c', message: 'unbalanced parenthesis', at: '(' },
  { text: '()', message: "unexpected token ')'", at: ')' },
  { text: 'proc.name equals bash', message: "unknown operator 'equals'", at: 'equals' },
  { text: 'proc.name', message: "expected an operator after 'proc.name'", at: 'proc.name' },
  { text: 'proc.name and a', message: "expected an operator after 'proc.name', found 'and'", at: 'and' },
  { text: 'proc.name = "bash', message: 'unterminated string', at: '"bash' },
  { text: "fd.name in ('/etc, /root)", message: 'unterminated string', at: "'/etc, /root)" },
  { text: "fd.name regex '\\d+'", message: 'unsupported string escape sequence: \\d', at: '\\d' },
  { text: "proc.name = 'a\\\"b'", message: 'unsupported string escape sequence: \\"', at: '\\"' },
  { text: 'proc.name =', message: "expected a value after '='", at: '=' },
  { text: 'proc.name = )', message: "expected a value after '=', found ')'", at: ')' },
  { text: 'proc.name in (a, b', message: 'unbalanced parenthesis', at: '(' },
  { text: 'proc.name in (a b)', message: "expected ',' or ')' in list, found 'b'", at: 'b' },
  { text: 'proc.name in (a, )', message: "expected a list item, found ')'", at: ')' },
  { text: 'proc.name in', message: "expected a list after 'in'", at: 'in' },
  { text: 'proc.name in "a"', message: "expected a list after 'in', found '\"'", at: '"' },
  { text: 'proc.pid > abc', message: "expected a number after '>', found 'abc'", at: 'abc' },
  { text: 'proc.pid <= "5"', message: "expected a number after '<=', found '\"'", at: '"' },
  { text: 'proc.name = (a, b)', message: "operator '=' takes a single value, not a list", at: '(' },
  { text: 'proc.aname[2 = x', message: "expected ']' after the argument of 'proc.aname'", at: '[2' },
  { text: 'proc.env[ ] exists', message: "expected a field argument after 'proc.env['", at: '[' },
  { text: 'tolower(proc.name = x', message: "expected ')' closing 'tolower(', found '='", at: '=' },
  { text: 'tolower(5) = x', message: "expected a field inside 'tolower()'", at: '5' },
  {
    text: 'val(proc.name) = x',
    message: "'val()' is only allowed on the right-hand side of a comparison",
    at: 'val',
  },
  { text: 'proc.name = val(bash)', message: "expected a field inside 'val()'", at: 'bash' },
  { text: 'proc.name = val(proc.pname', message: 'unbalanced parenthesis', at: 'val(' },
  {
    text: 'name = bash',
    message: "'name' is not a field name (field names have a dot, e.g. proc.name)",
    at: 'name',
  },
  { text: 'proc.name = bash proc.pid = 1', message: "unexpected token 'proc.pid'", at: 'proc.pid' },
  { text: 'a andb', message: "unexpected token 'andb'", at: 'andb' },
  {
    text: `${'('.repeat(101)}a${')'.repeat(101)}`,
    message: 'condition nested deeper than 100 levels',
    at: '(',
    nth: 100,
  },
];

const COMPILE: Case[] = [
  { text: 'proc.nmae = bash', message: "unknown field 'proc.nmae'", at: 'proc.nmae' },
  { text: 'proc.name[2] = bash', message: "field 'proc.name' takes no argument", at: '2' },
  {
    text: 'proc.aname[x] = bash',
    message: "field 'proc.aname' needs a numeric argument, not 'x'",
    at: 'x',
    nth: 0,
  },
  { text: 'evt.arg exists', message: "field 'evt.arg' needs an argument, e.g. evt.arg[...]", at: 'evt.arg' },
  {
    text: 'evt.arg.flags[1] exists',
    message: "field 'evt.arg.flags' already has an argument after the dot",
    at: '1',
  },
  { text: 'proc.pid = abc', message: "'abc' is not a valid number for field 'proc.pid'", at: 'abc' },
  { text: 'user.uid = -1', message: "'-1' is not a valid unsigned number for field 'user.uid'", at: '-1' },
  { text: 'proc.pid in (1, two)', message: "'two' is not a valid number for field 'proc.pid'", at: 'two' },
  {
    text: 'evt.failed = yes',
    message: "'yes' is not a valid boolean for field 'evt.failed' (true or false)",
    at: 'yes',
  },
  { text: 'fd.sip = 1.2.3', message: "'1.2.3' is not a valid IP address for field 'fd.sip'", at: '1.2.3' },
  {
    text: 'fd.snet = 10.0.0.0/40',
    message: "'10.0.0.0/40' is not a valid network for field 'fd.snet' (e.g. 10.0.0.0/8)",
    at: '10.0.0.0/40',
  },
  {
    text: 'proc.pid contains 1',
    message: "'contains' operator not supported for numeric field 'proc.pid'",
    at: 'contains',
  },
  {
    text: 'proc.pid glob 1*',
    message: "'glob' operator not supported for numeric field 'proc.pid'",
    at: 'glob',
  },
  {
    text: 'evt.failed startswith t',
    message: "'startswith' operator not supported for bool field 'evt.failed'",
    at: 'startswith',
  },
  {
    text: 'fd.types[0] = ipv4',
    message: "list field 'fd.types[0]' only supports operators 'exists', 'in' and 'intersects'",
    at: '=',
  },
  {
    text: 'proc.cmdline regex "a(b"',
    message: "invalid regex 'a(b': missing ): a(b",
    at: '"a(b"',
  },
  // RE2 has no construct that needs backtracking: lookaround and backreferences are refused.
  {
    text: 'proc.cmdline regex "(?=a)a"',
    message: "invalid regex '(?=a)a': invalid perl operator: (?=",
    at: '"(?=a)a"',
  },
  {
    text: 'proc.cmdline regex "(a)\\\\1"',
    message: "invalid regex '(a)\\1': invalid escape sequence: \\1",
    at: '"(a)\\\\1"',
  },
  // Balanced only inside the anchoring group vigil adds: refused, not read as `^(?:a)|(?:b)$`.
  {
    text: 'proc.cmdline regex "a)|(?:b"',
    message: "invalid regex 'a)|(?:b': unexpected ): a)|(?:b",
    at: '"a)|(?:b"',
  },
  {
    text: 'proc.cmdline bcontains xyz',
    message: "'xyz' is not a hex byte string (e.g. 7f454c46) for 'bcontains'",
    at: 'xyz',
  },
  {
    text: 'proc.cmdline bstartswith abc',
    message: "'abc' is not a hex byte string (e.g. 7f454c46) for 'bstartswith'",
    at: 'abc',
  },
  {
    text: 'tolower(proc.pid) = 1',
    message: "transformer 'tolower' needs a string field, and 'proc.pid' is of type 'int64'",
    at: 'tolower(proc.pid)',
  },
  {
    text: 'proc.pid = val(proc.name)',
    message:
      "field 'proc.pid' has type 'int64' while the right-hand side field 'proc.name' has incompatible type 'string'",
    at: 'val(proc.name)',
  },
  {
    text: 'no_such_macro and proc.name = x',
    message: "undefined macro 'no_such_macro'",
    at: 'no_such_macro',
  },
  { text: 'proc.name in no_such_list', message: "undefined list 'no_such_list'", at: 'no_such_list' },
  { text: 'loop_a', message: 'macro cycle: loop_a -> loop_b -> loop_a', at: 'loop_a', start: 7 },
  { text: 'self', message: 'macro cycle: self -> self', at: 'self', start: 0 },
];

/** Runs every case and reports all mismatches at once. */
function expectAll(cases: readonly Case[]): void {
  const failures: string[] = [];
  for (const c of cases) {
    try {
      expectError(c);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  assert.deepEqual(failures, []);
}

test('syntax errors: exact message and span', () => {
  expectAll(SYNTAX);
});

test('compile errors: exact message and span', () => {
  expectAll(COMPILE.filter((c) => !c.text.startsWith('loop') && c.text !== 'self'));
});

test('errors inside a macro point into the macro text, with its origin', () => {
  let err: unknown;
  try {
    run('bad_field');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConditionError);
  assert.equal(err.message, "unknown field 'proc.nmae'");
  assert.deepEqual(err.origin, { ...macroOrigin, name: 'bad_field' });
  const text = MACROS.bad_field;
  assert.deepEqual([err.start, err.end], [text.indexOf('proc.nmae'), text.indexOf('proc.nmae') + 9]);
});

test('macro cycles are reported at the reference that closes them', () => {
  for (const [text, message, macro, refText] of [
    ['loop_a', 'macro cycle: loop_a -> loop_b -> loop_a', 'loop_b', 'loop_a'],
    ['self', 'macro cycle: self -> self', 'self', 'self'],
  ] as const) {
    let err: unknown;
    try {
      run(text);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ConditionError);
    assert.equal(err.message, message);
    assert.equal((err.origin as { name: string }).name, macro);
    const body = MACROS[macro];
    assert.deepEqual([err.start, err.end], [body.indexOf(refText), body.indexOf(refText) + refText.length]);
  }
});

test('at least 40 malformed conditions are covered', () => {
  assert.ok(SYNTAX.length + COMPILE.length >= 40, String(SYNTAX.length + COMPILE.length));
});
