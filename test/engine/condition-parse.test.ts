import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckExpr, Expr } from '../../src/engine/condition/ast.js';
import { parseCondition } from '../../src/engine/condition/parse.js';

const origin = { name: 'test' };
const parse = (text: string): Expr => parseCondition(text, origin);

/** A compact rendering of the tree: (and a b), (not x), field op value. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'and':
    case 'or':
      return `(${e.kind} ${e.children.map(show).join(' ')})`;
    case 'not':
      return `(not ${show(e.child)})`;
    case 'macro':
      return `@${e.name}`;
    case 'check':
      return showCheck(e);
  }
}

function showOperand(o: CheckExpr['left'] | NonNullable<CheckExpr['right']>): string {
  switch (o.kind) {
    case 'field':
      return o.arg === undefined ? o.name : `${o.name}[${o.arg.value}]`;
    case 'transform':
      return `${o.transformer}(${showOperand(o.child)})`;
    case 'val':
      return `val(${showOperand(o.field)})`;
    case 'value':
      return o.quoted ? JSON.stringify(o.value) : o.value;
    case 'list':
      return `[${o.items.map(showOperand).join(',')}]`;
  }
}

function showCheck(e: CheckExpr): string {
  return e.right === undefined
    ? `${showOperand(e.left)} ${e.op}`
    : `${showOperand(e.left)} ${e.op} ${showOperand(e.right)}`;
}

test('precedence: not > and > or, without parentheses', () => {
  assert.equal(show(parse('a or b and c')), '(or @a (and @b @c))');
  assert.equal(show(parse('a and b or c')), '(or (and @a @b) @c)');
  assert.equal(show(parse('not a and b')), '(and (not @a) @b)');
  assert.equal(show(parse('not a or not b and c')), '(or (not @a) (and (not @b) @c))');
  assert.equal(show(parse('not not a')), '(not (not @a))');
});

test('parentheses group, nest and may touch keywords', () => {
  assert.equal(show(parse('(a or b) and c')), '(and (or @a @b) @c)');
  assert.equal(show(parse('((a))')), '@a');
  assert.equal(show(parse('a and(b or c)')), '(and @a (or @b @c))');
  assert.equal(show(parse('not(a)')), '(not @a)');
  assert.equal(show(parse('( ( a and ( b ) ) or c )')), '(or (and @a @b) @c)');
});

test('every operator parses', () => {
  const ops = [
    ['=', 'x'],
    ['==', 'x'],
    ['!=', 'x'],
    ['<', '1'],
    ['<=', '1'],
    ['>', '1'],
    ['>=', '1'],
    ['contains', 'x'],
    ['icontains', 'x'],
    ['bcontains', '7f45'],
    ['startswith', 'x'],
    ['bstartswith', '7f45'],
    ['endswith', 'x'],
    ['glob', '*x'],
    ['iglob', '*x'],
    ['regex', 'a.*'],
  ];
  for (const [op, v] of ops) assert.equal(show(parse(`proc.name ${op} ${v}`)), `proc.name ${op} ${v}`);
  for (const op of ['in', 'intersects', 'pmatch']) {
    assert.equal(show(parse(`fd.name ${op} (/a, /b)`)), `fd.name ${op} [/a,/b]`);
  }
  assert.equal(show(parse('proc.name exists')), 'proc.name exists');
  assert.equal(show(parse('proc.name=bash')), 'proc.name = bash');
  assert.equal(show(parse('proc.pid>=-1')), 'proc.pid >= -1');
  assert.equal(show(parse('proc.pid < 0x1F')), 'proc.pid < 0x1F');
});

test('quoting and escapes', () => {
  assert.equal(show(parse('proc.cmdline = "sh -c x"')), 'proc.cmdline = "sh -c x"');
  const e = parse('proc.cmdline = "a \\"q\\" \\\\ \\n b"') as CheckExpr;
  assert.equal(e.right?.kind === 'value' && e.right.value, 'a "q" \\ \n b');
  const r = parse("fd.name regex '\\\\d+'") as CheckExpr;
  assert.equal(r.right?.kind === 'value' && r.right.value, '\\d+');
  const single = parse(`proc.name = 'say "hi"'`) as CheckExpr;
  assert.equal(single.right?.kind === 'value' && single.right.value, 'say "hi"');
});

test('list literals: bare, quoted, empty, nested blanks', () => {
  assert.equal(show(parse('proc.name in ()')), 'proc.name in []');
  assert.equal(show(parse('proc.name in ( )')), 'proc.name in []');
  assert.equal(show(parse('proc.name in (a,"b c", \'d\')')), 'proc.name in [a,"b c","d"]');
  assert.equal(show(parse('proc.name in (\n  a,\n  b\n)')), 'proc.name in [a,b]');
  assert.equal(show(parse('proc.name in shell_binaries')), 'proc.name in shell_binaries');
  assert.equal(show(parse('proc.name in(a)')), 'proc.name in [a]');
});

test('field arguments', () => {
  assert.equal(show(parse('proc.aname[2] = sshd')), 'proc.aname[2] = sshd');
  assert.equal(show(parse('proc.env[LD_PRELOAD] exists')), 'proc.env[LD_PRELOAD] exists');
  assert.equal(show(parse('proc.env["MY VAR"] exists')), 'proc.env[MY VAR] exists');
  assert.equal(show(parse('evt.arg.flags contains O_RDWR')), 'evt.arg.flags contains O_RDWR');
  assert.equal(show(parse('evt.arg[1] = x')), 'evt.arg[1] = x');
  assert.equal(show(parse('fd.types[] intersects (ipv4)')), 'fd.types intersects [ipv4]');
});

test('transformers and val()', () => {
  assert.equal(show(parse('tolower(proc.name) = bash')), 'tolower(proc.name) = bash');
  assert.equal(show(parse('toupper( basename(fd.name) ) = X')), 'toupper(basename(fd.name)) = X');
  assert.equal(show(parse('b64(proc.args) contains x')), 'b64(proc.args) contains x');
  assert.equal(show(parse('proc.name = val(proc.pname)')), 'proc.name = val(proc.pname)');
  assert.equal(show(parse('proc.name in val(proc.pname)')), 'proc.name in val(proc.pname)');
  assert.equal(show(parse('proc.name = tolower(proc.pname)')), 'proc.name = tolower(proc.pname)');
});

test('bare words that look like keywords are values after an operator', () => {
  assert.equal(show(parse('proc.name = and')), 'proc.name = and');
  assert.equal(show(parse('proc.name = or and a')), '(and proc.name = or @a)');
  assert.equal(show(parse('android and order')), '(and @android @order)');
});

test('nodes keep origin and offsets', () => {
  const text = 'a and proc.name = "x y"';
  const e = parse(text);
  assert.equal(e.kind, 'and');
  if (e.kind !== 'and') return;
  const check = e.children[1] as CheckExpr;
  assert.equal(check.origin, origin);
  assert.equal(text.slice(check.start, check.end), 'proc.name = "x y"');
  assert.equal(text.slice(check.opSpan.start, check.opSpan.end), '=');
  assert.equal(check.right && text.slice(check.right.start, check.right.end), '"x y"');
  assert.equal(text.slice(e.start, e.end), text);
});

test('a Falco macro spanning lines parses', () => {
  const text = `(proc.pname=beam.smp and
    (proc.cmdline startswith "sh -c exec ps" or
     proc.cmdline= "sh -s unix:cmd" or
     proc.cmdline= "sh -c exec /bin/sh -s unix:cmd 2>&1"))`;
  assert.equal(
    show(parse(text)),
    '(and proc.pname = beam.smp (or proc.cmdline startswith "sh -c exec ps" proc.cmdline = "sh -s unix:cmd" ' +
      'proc.cmdline = "sh -c exec /bin/sh -s unix:cmd 2>&1"))',
  );
});
