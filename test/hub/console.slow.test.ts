/**
 * The console in Debian's headless Chromium (driven by playwright-core, no browser download):
 * the token asked once, alerts from two hosts in the timeline, a filter, an alert's detail with
 * its ancestry, the chart, and a playground run with an error and then matches. Each step leaves a
 * screenshot, checked to be a non-empty PNG; what it shows is checked through the DOM.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunningHub } from '../../src/hub/hub.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import { natsServerMissing, startNats, type NatsNode } from '../support/nats-server.js';
import { chromiumMissing, CHROMIUM } from './support/chromium.js';
import { createStream, fleetAlert, publishAlerts, TOKEN, startTestHub } from './support/hub-fixture.js';

const skip = natsServerMissing() || chromiumMissing();
let dir: string;
let nats: NatsNode;
let nc: NatsConnection;
let hub: RunningHub;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'vigil-hub-console-'));
  nats = await startNats(join(dir, 'nats'));
  nc = await connect({ servers: nats.url });
  await createStream(nc);
  hub = await startTestHub(nats.url, join(dir, 'state'));
  // Root needs --no-sandbox; the page is the test's own.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

after(async () => {
  if (skip) return;
  await browser.close();
  await hub.stop();
  await nc.close();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function screenshot(name: string): Promise<void> {
  const png = await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  assert.ok(png.length > 1000, `${name}: a real image`);
  assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${name}: PNG`);
}

/** The DOM of the page, typed just enough for the checks below (the tests compile without lib dom). */
interface PageDom {
  document: {
    querySelectorAll(q: string): { length: number };
    getElementById(id: string): { textContent: string | null } | null;
  };
}

/** Waits until `sel` matches `n` elements (`atLeast`: n or more). Functions, not strings: the CSP forbids eval. */
function waitCount(p: Page, sel: string, n: number, atLeast = false) {
  return p.waitForFunction(
    ([s, k, more]) => {
      const c = (globalThis as unknown as PageDom).document.querySelectorAll(s).length;
      return more ? c >= k : c === k;
    },
    [sel, n, atLeast] as const,
  );
}

const rows = () => page.$$eval('#alerts tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));

test('the console: token, timeline of two hosts, filter, detail, chart, playground', { skip }, async () => {
  const now = Date.now();
  const at = (i: number) => new Date(now - i * 1000).toISOString();
  await publishAlerts(nc, [
    ...Array.from({ length: 30 }, (_, i) => fleetAlert('alpha', i, { time: at(i) })),
    ...Array.from({ length: 20 }, (_, i) =>
      fleetAlert('beta', i, { time: at(i), rule: 'Shell in container', priority: 'Critical' }),
    ),
  ]);
  await page.goto(`http://127.0.0.1:${hub.port}/`);
  await page.waitForSelector('#login-form');
  await screenshot('login');
  await page.fill('#token', TOKEN);
  await page.click('#login-form button[type=submit]');
  await waitCount(page, '#alerts tbody tr', 50);
  const all = await rows();
  assert.ok(all.some((r) => r.includes('alpha')) && all.some((r) => r.includes('beta')));
  assert.equal(await page.evaluate("sessionStorage.getItem('vigil-hub-token')"), TOKEN);
  await waitCount(page, '#chart rect', 1, true);
  assert.match((await page.textContent('#top-hosts')) ?? '', /30\s+alpha[\s\S]*20\s+beta/);
  await screenshot('timeline');

  await page.fill('#filters input[name=host]', 'beta');
  await page.click('#filters button[type=submit]');
  await waitCount(page, '#alerts tbody tr', 20);
  assert.ok((await rows()).every((r) => r.includes('beta') && r.includes('Shell in container')));
  await screenshot('filtered');

  // Text that looks like SQL is a filter value like any other: nothing matches.
  await page.fill('#filters input[name=host]', "beta' OR '1'='1");
  await page.click('#filters button[type=submit]');
  await waitCount(page, '#alerts tbody tr', 0);
  await page.fill('#filters input[name=host]', 'beta');
  await page.click('#filters button[type=submit]');
  await waitCount(page, '#alerts tbody tr', 20);

  await page.click('#alerts tbody tr:first-child');
  await page.waitForSelector('#detail:not([hidden])');
  assert.match((await page.textContent('#d-rule')) ?? '', /Critical: Shell in container/);
  const ancestry = await page.$$eval('#d-ancestry li', (lis) => lis.map((li) => li.textContent ?? ''));
  assert.equal(ancestry.length, 3);
  assert.match(ancestry[1], /\/usr\/bin\/bash/);
  assert.match((await page.textContent('#d-facts')) ?? '', /3ad7b26ded6d/);
  await screenshot('detail');
  await page.click('#close-detail');

  await page.click('nav button[data-view=playground]');
  await page.fill(
    '#pg-rule',
    '- rule: Shadow\n  desc: x\n  condition: fd.nmae = /etc/shadow\n  output: x\n  priority: WARNING\n',
  );
  await page.selectOption('#pg-source', 'upload');
  const events = [
    sampleEvent({ type: 'openat', ret: 3, fd: { num: 3, type: 'file', name: '/etc/shadow' } } as never),
    sampleEvent({ type: 'openat', ret: 3, fd: { num: 3, type: 'file', name: '/etc/hosts' } } as never),
  ];
  const file = join(dir, 'events.jsonl');
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  await page.setInputFiles('#pg-file', file);
  await page.click('#pg-form button[type=submit]');
  await waitCount(page, '#pg-errors li', 1, true);
  assert.match((await page.textContent('#pg-errors')) ?? '', /^playground\.yaml:3:\d+: .*fd\.nmae/);
  await screenshot('playground-error');

  await page.fill(
    '#pg-rule',
    '- rule: Shadow\n  desc: x\n  condition: fd.name = /etc/shadow\n  output: shadow read by %proc.name\n  priority: WARNING\n',
  );
  await page.click('#pg-form button[type=submit]');
  await waitCount(page, '#pg-alerts tbody tr', 1);
  assert.match((await page.textContent('#pg-summary')) ?? '', /^1 match\(es\) in 2 events/);
  assert.equal(await page.$$eval('#pg-errors li', (l) => l.length), 0);
  await screenshot('playground-match');
});

test('a wrong token is refused and asked again', { skip }, async () => {
  const p = await browser.newPage();
  await p.goto(`http://127.0.0.1:${hub.port}/`);
  await p.fill('#token', 'not-the-token');
  await p.click('#login-form button[type=submit]');
  await p.waitForSelector('#login:not([hidden])');
  await p.waitForFunction(() =>
    /refused/.test((globalThis as unknown as PageDom).document.getElementById('error')?.textContent ?? ''),
  );
  assert.equal(await p.evaluate("sessionStorage.getItem('vigil-hub-token')"), null);
  await p.close();
});
