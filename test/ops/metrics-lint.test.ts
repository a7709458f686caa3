/**
 * /metrics as Prometheus tooling reads it: `promtool check metrics` (Debian's prometheus package)
 * finds no problem in what a real ops server serves, Node's process metrics included;
 * vigil_build_info names this build; the sink metrics say what they count.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/config/paths.js';
import { AgentMetrics, startOpsServer } from '../../src/ops/index.js';

const PROMTOOL = '/usr/bin/promtool';
// The package root, from the sources (tsx) and from dist/ alike.
const root = packageRoot();

async function scrape(metrics: AgentMetrics): Promise<string> {
  const s = await startOpsServer({ listen: '127.0.0.1:0', metrics });
  try {
    const res = await fetch(`http://127.0.0.1:${s.port}/metrics`);
    assert.equal(res.status, 200);
    return await res.text();
  } finally {
    await s.close();
  }
}

function agentMetrics(): AgentMetrics {
  const m = new AgentMetrics();
  m.eventReceived('openat', 3);
  m.eventEvaluated('openat', 3);
  m.eventsDropped('queue');
  m.ruleMatched('Read sensitive file untrusted');
  m.evaluationTime(2e-6, 3);
  m.setSources({
    kernelDrops: () => 1,
    queueDepths: () => ({ events: 2 }),
    processTableSize: () => 120,
    rulesLoaded: () => 40,
    sinks: () => [
      { sink: 'slack', delivered: 5, failed: 1, sendFailures: 4, pending: 2, healthy: true },
      { sink: 'syslog', delivered: 0, sent: 7, failed: 0, sendFailures: 0, pending: 0, healthy: true },
    ],
  });
  return m;
}

test('promtool check metrics finds no problem in /metrics (process metrics included)', async (t) => {
  if (!existsSync(PROMTOOL)) {
    if (process.env.CI) throw new Error(`${PROMTOOL} missing (scripts/install-deps.sh installs prometheus)`);
    return t.skip('promtool not installed');
  }
  const text = await scrape(agentMetrics());
  assert.match(text, /^process_cpu_seconds_total /m, 'process metrics are there');
  assert.match(text, /^nodejs_active_handles\{/m);
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(`${r.stdout}${r.stderr}`, '');
  assert.equal(r.status, 0);
});

test('vigil_build_info: the version, Node.js version and git commit of this build', async () => {
  const text = await scrape(agentMetrics());
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
  let commit = 'unknown';
  // safe.directory: a non-root user running the unit tests in a checkout root owns.
  const git = ['-c', 'safe.directory=*', 'rev-parse', 'HEAD'];
  if (existsSync(join(root, '.git')))
    commit = execFileSync('git', git, { cwd: root, encoding: 'utf8' }).trim();
  assert.ok(
    text.includes(
      `vigil_build_info{version="${version}",node_version="${process.versions.node}",commit="${commit}"} 1\n`,
    ),
    text.split('\n').find((l) => l.startsWith('vigil_build_info')),
  );
});

test('sink metrics: delivered, sent (UDP), alerts given up, failed sends, pending, each as HELP says', async () => {
  const text = await scrape(agentMetrics());
  const has = (line: string) => assert.ok(text.includes(`${line}\n`), line);
  has('vigil_sink_deliveries_total{sink="slack"} 5');
  has('vigil_sink_sent_total{sink="syslog"} 7');
  has('vigil_sink_failures_total{sink="slack"} 1');
  has('vigil_sink_send_failures_total{sink="slack"} 4');
  has('vigil_sink_pending{sink="slack"} 2');
  assert.match(text, /^# HELP vigil_sink_failures_total Alerts a sink gave up on /m);
  assert.match(text, /^# HELP vigil_sink_send_failures_total Sends that failed, each attempt counted/m);
  assert.doesNotMatch(text, /vigil_sink_sent_total\{sink="slack"\}/, 'HTTP sinks count delivered, not sent');
});
