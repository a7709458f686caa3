/**
 * Falco's container.mount* and evt.buffer fields: how an argument selects a mount, what no match
 * gives, bcontains on bytes, how a buffer prints; and the capture plan that tells the sensor which
 * event types need them (nothing for rules that read neither).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRulesetFromSources } from '../../src/engine/load-ruleset.js';
import { renderOutput } from '../../src/engine/output-template.js';
import { resolveField } from '../../src/engine/fields/index.js';
import { sampleEvent, type DeepPartial } from '../../src/engine/rule-tests/sample-event.js';
import type { VigilEvent } from '../../src/event/types.js';
import { deriveCapture } from '../../src/plan/capture.js';

const inContainer = (extra: DeepPartial<VigilEvent> = {}): VigilEvent =>
  sampleEvent({
    type: 'execve',
    proc: { container_id: 'b1946ac92492' },
    container: {
      id: 'b1946ac92492',
      mounts: [
        { source: '/etc', dest: '/host/etc', mode: 'ro,relatime', rdwr: false, propagation: 'private' },
        {
          source: '/var/run/docker.sock',
          dest: '/run/docker.sock',
          mode: 'rw',
          rdwr: true,
          propagation: 'slave',
        },
      ],
    },
    ...extra,
  });

const field = (name: string, arg: string | undefined, ev: VigilEvent): unknown =>
  resolveField(name, arg).get(ev);

const rules = (yaml: string) => loadRulesetFromSources([{ path: 'compat.yaml', text: yaml }], 'all');

describe('container.mount*', () => {
  it('selects by number or by a glob on the source (.source: on the destination)', () => {
    const ev = inContainer();
    assert.equal(
      field('container.mounts', undefined, ev),
      '/etc:/host/etc:ro,relatime:false:private,' + '/var/run/docker.sock:/run/docker.sock:rw:true:slave',
    );
    assert.equal(field('container.mount', '1', ev), '/var/run/docker.sock:/run/docker.sock:rw:true:slave');
    assert.equal(field('container.mount.dest', '/etc', ev), '/host/etc');
    assert.equal(field('container.mount.dest', '/var/run/*', ev), '/run/docker.sock');
    assert.equal(field('container.mount.source', '/host/*', ev), '/etc');
    assert.equal(field('container.mount.mode', '0', ev), 'ro,relatime');
    assert.equal(field('container.mount.rdwr', '/etc', ev), 'false');
    assert.equal(field('container.mount.propagation', '/var/run/docker.sock', ev), 'slave');
  });

  it("no match: 'none' and '<NA>' in a container, no value on the host", () => {
    const ev = inContainer();
    assert.equal(field('container.mount', '/proc*', ev), 'none');
    assert.equal(field('container.mount.dest', '/proc*', ev), '<NA>');
    assert.equal(field('container.mount.dest', '5', ev), '<NA>');
    const host = sampleEvent({ type: 'execve' });
    assert.equal(field('container.mount.dest', '/etc', host), undefined);
    assert.equal(field('container.mounts', undefined, host), undefined);
  });

  it("a rule in Falco's form fires on a sensitive mount only", () => {
    const rs = rules(`
- rule: Sensitive mount
  desc: d
  condition: evt.type = execve and not container.mount.dest[/var/run/docker.sock] in ("<NA>","N/A")
  output: mounted at %container.mount.dest[/var/run/docker.sock] (%container.mounts)
  priority: INFO
`);
    const [hit] = rs.evaluate(inContainer());
    assert.equal(hit?.name, 'Sensitive mount');
    assert.match(renderOutput(hit.output, inContainer()).output, /^mounted at \/run\/docker.sock \(\/etc:/);
    const twin = inContainer({ container: { id: 'b1946ac92492', mounts: [] } });
    assert.deepEqual(rs.evaluate(twin), []);
  });
});

describe('evt.buffer', () => {
  const yaml = `
- rule: Class file received
  desc: d
  condition: evt.type = recvfrom and evt.buffer bcontains cafebabe
  output: got %evt.buffer
  priority: INFO
`;
  const recv = (buffer: string): VigilEvent => sampleEvent({ type: 'recvfrom', buffer });

  it('bcontains compares the bytes; outputs print other bytes as dots', () => {
    const rs = rules(yaml);
    const ev = recv(Buffer.from('00cafebabe0034', 'hex').toString('latin1') + 'GET');
    const [hit] = rs.evaluate(ev);
    assert.equal(hit?.name, 'Class file received');
    assert.equal(renderOutput(hit.output, ev).output, 'got ......4GET');
    assert.deepEqual(rs.evaluate(recv('GET / HTTP/1.1')), []);
    assert.deepEqual(rs.evaluate(sampleEvent({ type: 'recvfrom' })), []);
  });

  it('the kernel copies data only for the types a loaded rule reads it on', () => {
    const plan = deriveCapture(rules(yaml).enabledRules, 80);
    assert.deepEqual([...plan.buffer], [['recvfrom', 80]]);
    assert.deepEqual([...plan.mounts], []);
    const none = deriveCapture(
      rules(
        '- rule: R\n  desc: d\n  condition: evt.type in (recvfrom, sendto)\n  output: o\n  priority: INFO\n',
      ).enabledRules,
      80,
    );
    assert.equal(none.buffer.size, 0);
    assert.equal(deriveCapture(rules(yaml).enabledRules, 0).buffer.size, 0);
  });

  it('container mounts are read only for the types whose rules read them, outputs included', () => {
    const plan = deriveCapture(
      rules(
        '- macro: m\n  condition: container.mount.dest[/etc] != x\n' +
          '- rule: A\n  desc: d\n  condition: evt.type = execve and m\n  output: o\n  priority: INFO\n' +
          '- rule: B\n  desc: d\n  condition: evt.type = connect\n  output: "%container.mounts"\n  priority: INFO\n' +
          '- rule: C\n  desc: d\n  condition: evt.type = openat\n  output: o\n  priority: INFO\n',
      ).enabledRules,
      80,
    );
    assert.deepEqual([...plan.mounts].sort(), ['connect', 'execve']);
  });
});
