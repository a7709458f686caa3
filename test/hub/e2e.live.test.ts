/**
 * The fleet end to end on this machine: one nats-server, one `vigil hub` (SQLite) and two real
 * agents (`vigil run`, each with its own `hostname`) publishing to it, the console open in
 * Debian's headless Chromium. One real exec on the host raises an alert in each agent, and the
 * console shows both hosts' alerts; the time from the exec to each host's row in the console is
 * printed (the target is a second; no timing assertion: the machine is shared). The agents publish
 * their exec events too, and the hub's playground finds the exec in both hosts' events.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { requireLive } from '../support/live.js';
import { natsServerMissing, startNats } from '../support/nats-server.js';
import { startAgent, writeMarkerRule, type RunningAgent } from '../ops/agent-process.js';
import { chromiumMissing, CHROMIUM } from './support/chromium.js';
import { hubApi, TOKEN } from './support/hub-fixture.js';
import { startHubProcess } from './support/hub-process.js';

// Not part of any path the test makes: only the test's own exec carries it.
const MARKER = `fleet-marker-${process.pid}-${Date.now()}`;
const RULE = 'vigil e2e marker';
const HOSTS = [`e2e-a-${process.pid}`, `e2e-b-${process.pid}`];

/**
 * An agent's config: its hostname, no ops listener, the nats sink publishing exec events (only
 * those: on a busy host every other kind would push the marker's exec out of the newest events
 * the playground reads).
 */
function agentConfig(dir: string, host: string, nats: string): string {
  const path = join(dir, `${host}.yaml`);
  const lines = [
    `hostname: ${host}`,
    'metrics:',
    '  enabled: false',
    'outputs:',
    '  sinks:',
    '    - type: nats',
    `      servers: [${nats}]`,
    '      events:',
    '        enabled: true',
    '        types: [execve]',
    '',
  ];
  writeFileSync(path, lines.join('\n'), { mode: 0o600 });
  return path;
}

/** The DOM, typed just enough (the tests compile without lib dom). */
interface PageDom {
  document: { querySelectorAll(q: string): ArrayLike<{ textContent: string | null }> };
}

test('two agents, one hub: a real exec shows in the console from both hosts', async (t) => {
  if (!requireLive(t)) return;
  if (natsServerMissing() || chromiumMissing()) return t.skip('nats-server or chromium not installed');
  const dir = mkdtempSync(join(tmpdir(), `vigil-e2e-${process.pid}-`));
  // Stopped in reverse order of start: the browser, the agents, the hub, NATS; then the files.
  const stops: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const nats = await startNats(join(dir, 'nats'));
  stops.push(() => nats.stop());
  const hub = await startHubProcess(nats.url, join(dir, 'hub'));
  stops.push(() => hub.stop());

  const rules = join(dir, 'marker.yaml');
  writeMarkerRule(rules, RULE, MARKER);
  const agents: RunningAgent[] = [];
  stops.push(async () => {
    for (const a of agents) a.child.kill('SIGTERM');
    await Promise.all(agents.map((a) => a.exited));
  });
  for (const host of HOSTS) {
    const config = agentConfig(dir, host, nats.url);
    agents.push(
      await startAgent(['run', '--config', config, '--rules', rules, '--db', join(dir, `${host}.db`)]),
    );
  }

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  stops.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(hub.base);
  await page.fill('#token', TOKEN);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#alerts');

  const t0 = performance.now();
  execFileSync('/bin/echo', [MARKER], { stdio: 'ignore' });
  const seen = await Promise.all(
    HOSTS.map(async (host) => {
      await page.waitForFunction(
        ([h, m]) =>
          Array.from((globalThis as unknown as PageDom).document.querySelectorAll('#alerts tbody tr')).some(
            (tr) => (tr.textContent ?? '').includes(h) && (tr.textContent ?? '').includes(m),
          ),
        [host, MARKER] as const,
        { timeout: 60_000 },
      );
      return performance.now() - t0;
    }),
  );
  const load = loadavg()[0].toFixed(1);
  for (const [i, host] of HOSTS.entries())
    console.log(`exec → alert in the console, ${host}: ${seen[i].toFixed(0)} ms (load average ${load})`);
  await page.screenshot({ path: join(dir, 'e2e.png'), fullPage: true });

  const stored = await hubApi(hub.base, `/api/alerts?rule=${encodeURIComponent(RULE)}`);
  assert.equal(stored.status, 200);
  const hosts = (stored.body.alerts as { hostname: string; output: string }[]).map((a) => a.hostname);
  assert.deepEqual([...new Set(hosts)].sort(), [...HOSTS].sort());

  // The playground runs a rule over the events both agents published (bounded wait: publishing is
  // asynchronous by design, off detection's path).
  const rule = `- rule: marker exec\n  desc: d\n  condition: evt.type = execve and proc.cmdline contains "${MARKER}"\n  output: o\n  priority: Notice\n`;
  let matchedHosts: string[] = [];
  for (let i = 0; i < 60 && matchedHosts.length < HOSTS.length; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 500));
    const pg = await hubApi(hub.base, '/api/playground', { post: { rule } });
    assert.equal(pg.body.ok, true, JSON.stringify(pg.body));
    matchedHosts = [...new Set((pg.body.alerts as { hostname: string }[]).map((a) => a.hostname))].sort();
  }
  assert.deepEqual(matchedHosts, [...HOSTS].sort(), 'the playground matched the exec in both hosts');
});
