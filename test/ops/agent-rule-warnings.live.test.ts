/**
 * The real agent (`vigil run`) logs each rule-load warning, with the text `vigil rules check`
 * prints, file:line:col and the rule's name: at start, and again after a reload (SIGHUP).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { run as rulesCheck } from '../../src/cli/rules-check.js';
import { requireLive } from '../support/live.js';
import { startAgent, type LogLine } from './agent-process.js';

/** A rule whose list item looks like a list name but names none: one warning. */
const warnedRule = (list: string): string =>
  `- rule: Warned rule\n  desc: d\n  condition: evt.type = execve and proc.pname in (${list})\n` +
  '  output: o\n  priority: INFO\n';

async function printed(file: string): Promise<string[]> {
  const err: string[] = [];
  assert.equal(await rulesCheck({ paths: [file], out: () => {}, err: (l) => err.push(l) }), 0);
  return err;
}

/** Waits (bounded: a failure, not a timing check) for a log record. */
async function logged(logs: LogLine[], pred: (l: LogLine) => boolean, what: string): Promise<LogLine> {
  for (let i = 0; i < 600; i++) {
    const hit = logs.find(pred);
    if (hit) return hit;
    await sleep(100);
  }
  assert.fail(`no log record: ${what}; got ${logs.map((l) => l.msg).join(' | ')}`);
}

test('vigil run logs rule-load warnings at start and on reload', async (t) => {
  if (!requireLive(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rule-warnings-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'vigil.yaml');
  writeFileSync(config, 'metrics:\n  enabled: false\nlogging:\n  level: info\n', { mode: 0o600 });
  const rules = join(dir, 'warned.yaml');
  writeFileSync(rules, warnedRule('no_such_binaries'), { mode: 0o644 });
  const [first] = await printed(rules);
  assert.match(first, /no_such_binaries/);

  const args = ['run', '--config', config, '--rules', rules, '--db', join(dir, 'alerts.db'), '--json'];
  const agent = await startAgent(args);
  t.after(() => {
    if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
  });
  const atStart = await logged(agent.logs, (l) => l.msg === first, first);
  assert.deepEqual([atStart.level, atStart.where, atStart.rule], [40, `${rules}:3:51`, 'Warned rule']);

  writeFileSync(rules, warnedRule('other_binaries'), { mode: 0o644 });
  const [second] = await printed(rules);
  agent.child.kill('SIGHUP');
  await logged(agent.logs, (l) => l.msg === 'rules reloaded', 'rules reloaded');
  const onReload = await logged(agent.logs, (l) => l.msg === second, second);
  assert.equal(onReload.rule, 'Warned rule');

  agent.child.kill('SIGTERM');
  assert.equal(await agent.exited, 0, agent.stderr().slice(-2000));
});
