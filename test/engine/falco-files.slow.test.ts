/**
 * Falco's stable, incubating and sandbox rulesets load unchanged together (`vigil rules check`
 * exits 0), as Falco users load them; the deprecated one loads on its own. The rules that needed
 * vigil's container.mount* and evt.buffer fields fire on events built to match and stay silent on
 * their twins. Live (the kernel's events, the agent): test/rules/falco-files.live.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAlert } from '../../src/agent/build-alert.js';
import { run as rulesCheck } from '../../src/cli/rules-check.js';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import type { Ruleset } from '../../src/engine/ruleset.js';
import { sampleEvent, type DeepPartial } from '../../src/engine/rule-tests/sample-event.js';
import type { ContainerMount, VigilEvent } from '../../src/event/types.js';
import {
  FALCO_DEPRECATED,
  FALCO_INCUBATING,
  FALCO_RULES,
  FALCO_SANDBOX,
  falcoRulesMissing,
} from '../support/falco.js';

const ALL = [FALCO_RULES, FALCO_INCUBATING, FALCO_SANDBOX];

function capture(): { out: string[]; err: string[]; o: (l: string) => void; e: (l: string) => void } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, o: (l) => out.push(l), e: (l) => err.push(l) };
}

let cached: Ruleset | undefined;
const ruleset = (): Ruleset => (cached ??= loadRuleset(ALL, 'all'));

const mount = (source: string, dest: string): ContainerMount => ({
  source,
  dest,
  mode: 'rw,relatime',
  rdwr: true,
  propagation: 'private',
});

/** The first process of a container (Falco's container_started), with these mounts. */
const containerStart = (mounts: ContainerMount[]): DeepPartial<VigilEvent> => ({
  type: 'execve',
  proc: { exe: '/usr/bin/sleep', args: ['sleep', '60'], vpid: 1, container_id: 'b1946ac92492' },
  container: { id: 'b1946ac92492', mounts },
});

const fired = (ev: DeepPartial<VigilEvent>): string[] =>
  ruleset()
    .evaluate(sampleEvent(ev))
    .map((r) => r.name);

describe("Falco's rule files", () => {
  it('stable, incubating and sandbox load unchanged together: rules check exits 0', async (t) => {
    if (falcoRulesMissing() !== null) return t.skip(`${FALCO_RULES} is not on this machine`);
    const c = capture();
    assert.equal(await rulesCheck({ paths: ALL, out: c.o, err: c.e }), 0);
    assert.match(
      c.out.find((l) => l.startsWith('rules: '))!,
      /^rules: 76 enabled, 12 disabled, 0 skipped;/,
    );
    assert.deepEqual(
      c.err.filter((l) => !l.startsWith('warning: ')),
      [],
    );
    // The old incubating file's %container.info: accepted, rendered as nothing, with a warning.
    assert.ok(
      c.err.some((l) => l.includes("rule 'Schedule Cron Jobs': %container.info is deprecated")),
      c.err.join('\n'),
    );
  });

  it('the deprecated file loads', async () => {
    const c = capture();
    assert.equal(await rulesCheck({ paths: [FALCO_DEPRECATED], out: c.o, err: c.e }), 0);
    assert.match(c.out[1], /^rules: 0 enabled, 4 disabled, 0 skipped;/);
  });

  it('Launch Sensitive Mount Container: a container started with host /etc mounted', (t) => {
    if (falcoRulesMissing() !== null) return t.skip(`${FALCO_RULES} is not on this machine`);
    const ev = containerStart([mount('/etc', '/host/etc'), mount('/', '/host/root')]);
    assert.ok(fired(ev).includes('Launch Sensitive Mount Container'));
    const hit = ruleset()
      .evaluate(sampleEvent(ev))
      .find((r) => r.name === 'Launch Sensitive Mount Container')!;
    const alert = buildAlert(hit, sampleEvent(ev), 'host');
    assert.match(
      alert.output,
      /^Container with sensitive mount started \| mounts=\/etc:\/host\/etc:rw,relatime:true:private,\/:\/host\/root:rw,relatime:true:private /,
    );
    // The twin: the usual bind mounts of a container, none sensitive.
    const twin = containerStart([mount('/var/lib/docker/containers/b1946ac92492/hosts', '/etc/hosts')]);
    assert.ok(!fired(twin).includes('Launch Sensitive Mount Container'));
    assert.ok(!fired(containerStart([])).includes('Launch Sensitive Mount Container'));
  });
});
