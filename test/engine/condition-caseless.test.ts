/** The case-insensitive operators: each against its case-sensitive twin, on lowered operands. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileCondition } from '../../src/engine/condition/compile-condition.js';
import { parseCondition } from '../../src/engine/condition/parse.js';
import { makeEvent } from '../support/events.js';

const on = (text: string, exe = '/usr/Bin/CURL'): boolean =>
  compileCondition(parseCondition(text, { rule: 't' }), { lists: new Map(), macros: new Map() }).test(
    makeEvent({ proc: { exe } }),
  );

test('iequals, iin, istartswith, iendswith, icontains, iglob ignore case on both sides', () => {
  assert.equal(on('proc.exepath iequals "/USR/bin/curl"'), true);
  assert.equal(on('proc.exepath iequals "/usr/bin/curl2"'), false);
  assert.equal(on('proc.exepath iin ("/x", "/USR/BIN/curl")'), true);
  assert.equal(on('proc.exepath iin ("/x", "/usr/bin/wget")'), false);
  assert.equal(on('proc.exepath istartswith "/USR/"'), true);
  assert.equal(on('proc.exepath istartswith "/bin/"'), false);
  assert.equal(on('proc.exepath iendswith "/Curl"'), true);
  assert.equal(on('proc.exepath iendswith "/url"'), false);
  assert.equal(on('proc.exepath icontains "BIN/C"'), true);
  assert.equal(on('proc.exepath iglob "/usr/*/c?rl"'), true);
  assert.equal(on('proc.exepath iglob "/usr/*/c?l"'), false);
});

test('the case-sensitive operators still see case', () => {
  assert.equal(on('proc.exepath = "/usr/bin/curl"'), false);
  assert.equal(on('proc.exepath endswith "/curl"'), false);
  assert.equal(on('proc.exepath in ("/usr/bin/curl")'), false);
});

test('a lowered value is per event: the next event is lowered again', () => {
  const c = compileCondition(parseCondition('proc.exepath iendswith "/curl"', { rule: 't' }), {
    lists: new Map(),
    macros: new Map(),
  });
  assert.equal(c.test(makeEvent({ proc: { exe: '/A/CURL' } })), true);
  assert.equal(c.test(makeEvent({ proc: { exe: '/A/WGET' } })), false);
  assert.equal(c.test(makeEvent({ proc: { exe: '/A/CURL' } })), true);
});

test('any-of fields and val() take the caseless operators too', () => {
  assert.equal(on('proc.aexepath iendswith "/BASH"'), true);
  assert.equal(on('proc.exepath iequals val(proc.exepath)'), true);
});

test('caseless operators on a number are refused', () => {
  assert.throws(
    () => on('proc.pid iequals 1'),
    /'iequals' operator not supported for numeric field 'proc.pid'/,
  );
});

test('proc.argv[N] and any-argument proc.argv', () => {
  const ev = makeEvent({ proc: { args: ['getcap', '-r', '/'] } });
  const c = (t: string): boolean =>
    compileCondition(parseCondition(t, { rule: 't' }), { lists: new Map(), macros: new Map() }).test(ev);
  assert.equal(c('proc.argv[1] = "-r"'), true);
  assert.equal(c('proc.argv[3] exists'), false);
  assert.equal(c('proc.argv iequals "GETCAP"'), true);
});

test('tests of one field in an or read it once, with the same result', () => {
  const text = 'proc.exepath iendswith "/wget" or proc.exepath iendswith "/curl" or proc.name = x';
  const c = compileCondition(parseCondition(text, { rule: 't' }), { lists: new Map(), macros: new Map() });
  assert.equal(c.test(makeEvent({ proc: { exe: '/usr/bin/CURL' } })), true);
  assert.equal(c.test(makeEvent({ proc: { exe: '/usr/bin/curly' } })), false);
  assert.match(
    c.test.toString(),
    /\(\(v = k\d+\(ev\)\) !== undefined && \(v\.endsWith\(k\d+\) \|\| v\.endsWith\(k\d+\)\)\)/,
  );
});
