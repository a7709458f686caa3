/**
 * Live: the signal rules fire on real kill calls and stay silent on their benign twins. The sensor
 * runs in this test process, so this process is "the agent" its events are compared with.
 */
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { ruleRunner, scratch, sh, toolCopy } from './support.js';

const dir = scratch('signals');
after(() => rmSync(dir, { recursive: true, force: true }));

test('Agent tampering', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // SIGWINCH: ignored by default, so the test runner lives on; any signal but 0 is an attempt.
  await r.fires('Agent tampering', sh(`kill -WINCH ${process.pid}`), {
    'evt.type': 'kill',
    'evt.arg.sig': 'SIGWINCH',
    'evt.target.pid': process.pid,
    'proc.name': 'sh',
  });
  // kill -0 only asks whether the agent exists.
  await r.silent('Agent tampering', sh(`kill -0 ${process.pid}`));
});

/** Starts `prog` (a copy of sleep), waits until it runs under its own name, sends `signal`. */
const signalTool = (prog: string, name: string, signal: string): string[] =>
  sh(
    `${prog} 30 & p=$!; while [ "$(cat /proc/$p/comm)" != ${name} ]; do sleep 0.01; done; ` +
      `kill -${signal} $p; wait $p; true`,
  );

test('Security tool killed or stopped by a signal', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  const auditd = toolCopy(dir, 'auditd', '/usr/bin/sleep');
  await r.fires('Security tool killed or stopped by a signal', signalTool(auditd, 'auditd', 'KILL'), {
    'evt.arg.sig': 'SIGKILL',
    'evt.target.name': 'auditd',
    'evt.target.exepath': auditd,
  });
  const worker = toolCopy(dir, 'worker', '/usr/bin/sleep');
  await r.silent('Security tool killed or stopped by a signal', signalTool(worker, 'worker', 'KILL'));
});
