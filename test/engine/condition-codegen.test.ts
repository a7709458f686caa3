import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Emitter, isGeneratedCode } from '../../src/engine/condition/codegen.js';
import { compileCondition } from '../../src/engine/condition/compile-condition.js';
import { parseCondition } from '../../src/engine/condition/parse.js';
import { makeEvent } from '../support/events.js';

// Rule values that would break out of a string literal or a template if they were spliced into code.
const HOSTILE = [
  `a'b"c`,
  'back\\slash\\',
  'new\nline\r\u2028end',
  '${process.exit(7)}',
  "x'); process.exit(7); ('",
  'x"); process.exit(7); ("',
  '`; process.exit(7); `',
  '*/ process.exit(7) /*',
  '__proto__',
  'constructor',
];

const compile = (text: string, lists: Record<string, string[]> = {}) =>
  compileCondition(parseCondition(text, { rule: 't' }), {
    lists: new Map(Object.entries(lists)),
    macros: new Map(),
  });

test('rule values are data, never code: hostile list items match exactly themselves', () => {
  const c = compile('proc.name in (hostile) or proc.cmdline contains needle or proc.cwd = hostile2', {
    hostile: HOSTILE,
  });
  for (const value of HOSTILE) {
    assert.equal(c.test(makeEvent({ proc: { name: value } })), true, JSON.stringify(value));
    assert.equal(c.test(makeEvent({ proc: { name: `${value}x` } })), false, JSON.stringify(value));
  }
  assert.equal(c.test(makeEvent({ proc: { name: 'cat' } })), false);
});

test('rule values are data, never code: quoted strings with escapes compare exactly', () => {
  const c = compile(`proc.name = "q'\\"\\\\n\${x}" or fd.name startswith '\\\\x\\'y'`);
  assert.equal(c.test(makeEvent({ proc: { name: `q'"\\n\${x}` } })), true);
  assert.equal(c.test(makeEvent({ proc: { name: `q'"\n\${x}` } })), false);
  assert.equal(c.test(makeEvent({ type: 'openat', fd: { name: `\\x'y/z`, num: 3, type: 'file' } })), true);
  assert.equal(c.test(makeEvent({ type: 'openat', fd: { name: `x'y`, num: 3, type: 'file' } })), false);
});

test('the generated code holds only structure and constant names', () => {
  assert.equal(isGeneratedCode('(k0(ev) === k1 && !k2.has(k3(ev)))'), true);
  assert.equal(isGeneratedCode('((v = k4(ev)) !== undefined && k5(v)) || (k6(ev).length !== 0)'), true);
  for (const bad of HOSTILE) assert.equal(isGeneratedCode(`(k0(ev) === ${bad})`), false, bad);
  assert.equal(isGeneratedCode('k0(ev) === "x"'), false);
  assert.equal(isGeneratedCode('k0(ev) === process'), false);
  assert.throws(() => new Emitter().build('(k0(ev) === "x")'), /not well-formed/);
});

test('the emitter names each distinct constant once and hands values over as data', () => {
  const e = new Emitter();
  const name = e.ref(HOSTILE[3]);
  assert.equal(e.ref(HOSTILE[3]), name);
  assert.notEqual(e.ref('1'), e.ref(1));
  const get = (ev: { proc: { name: string } }) => ev.proc.name;
  const fn = e.build(`(${e.ref(get)}(ev) === ${name})`);
  assert.equal(fn(makeEvent({ proc: { name: HOSTILE[3] } })), true);
  assert.equal(fn(makeEvent({ proc: { name: 'cat' } })), false);
});
