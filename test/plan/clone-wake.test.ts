/**
 * Which fork records wake the ring reader at once: every fork a bundled rule matches carries one
 * of the plan's flags, and rules on clone without a flag need make every fork wake it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledRulesDir } from '../../src/config/index.js';
import { loadRuleset, loadRulesetFromSources } from '../../src/engine/load-ruleset.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import { CLONE_FLAGS, renderCloneFlags } from '../../src/sensor/flags.js';
import { deriveCloneWake, type CloneWakePlan } from '../../src/plan/clone-wake.js';

const bundled = loadRuleset([bundledRulesDir()], 'all');
const plan = deriveCloneWake(bundled.enabledRules);

test('the bundled rules: only forks with CLONE_NEWUSER wake the reader', () => {
  assert.equal(plan.why, null);
  assert.equal(plan.wake, BigInt(CLONE_FLAGS.find(([n]) => n === 'CLONE_NEWUSER')![1]));
});

test('every fork a bundled rule matches, of each flag and user, carries a waking flag', () => {
  let matched = 0;
  for (const [, bit] of CLONE_FLAGS) {
    for (const uid of [0, 1000]) {
      const flags = bit + 17; // SIGCHLD in the low bits, as fork passes it
      const ev = sampleEvent({ type: 'clone', ret: 0, user: { uid } });
      ev.args = { child_pid: 1234, flags: renderCloneFlags(flags) };
      ev.rawargs = { child_pid: 1234, flags };
      if (bundled.evaluate(ev).length === 0) continue;
      matched++;
      assert.ok((BigInt(flags) & plan.wake!) !== 0n, renderCloneFlags(flags));
    }
  }
  assert.ok(matched > 0, 'some fork matches a bundled rule');
});

const planOf = (yaml: string): CloneWakePlan =>
  deriveCloneWake(loadRulesetFromSources([{ path: 'test.yaml', text: yaml }]).enabledRules);
const rule = (name: string, condition: string) =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: o\n  priority: WARNING\n`;

test('flag needs unite across rules and `or`; a rule without one makes every fork wake', () => {
  const p = planOf(
    rule('A', 'evt.type = clone and evt.arg.flags contains CLONE_NEWUSER') +
      rule(
        'B',
        'evt.type = clone and (evt.arg.flags contains CLONE_NEWNS or evt.arg.flags contains CLONE_NEWPID)',
      ) +
      rule('Opens', 'evt.type = openat and fd.name = /etc/shadow'),
  );
  assert.equal(p.why, null);
  assert.equal(p.wake, 0x10000000n | 0x20000n | 0x20000000n);
  const off = planOf(rule('Any fork', 'evt.type = clone and proc.name = x'));
  assert.equal(off.wake, null);
  assert.match(off.why!, /Any fork/);
  assert.equal(planOf(rule('Opens', 'evt.type = openat and fd.name = /x')).wake, 0n);
});
