import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileJsonata } from '../../src/outputs/jsonata-expr.js';

test('JSONata regexes run on RE2: linear on attacker-written fields', async () => {
  const expr = compileJsonata('$contains(cmd, /(a|a)*b/) or $contains(cmd, /(.*a){12}b/)');
  // A backtracking engine needs 2^n steps here (it would not return); RE2 is linear.
  assert.equal(await expr.evaluate({ cmd: 'a'.repeat(5000) }), false);
  const m = compileJsonata('$match(cmd, /c(a+)t/).groups[0]');
  assert.equal(await m.evaluate({ cmd: 'x caaat' }), 'aaa');
  assert.equal(await compileJsonata('$replace(cmd, /a+/, "A")').evaluate({ cmd: 'caat' }), 'cAt');
});

test('a regex RE2 refuses fails the compile, not each evaluation', () => {
  assert.throws(
    () => compileJsonata('$contains(cmd, /(?=a)a/)'),
    /regex \/\(\?=a\)a\/g: invalid perl operator: \(\?=/,
  );
  assert.throws(() => compileJsonata('{ broken'));
});
