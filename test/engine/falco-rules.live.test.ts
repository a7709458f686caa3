/**
 * Falco's stable ruleset (../shared/falco beside the checkout, never copied here): its
 * Contact K8S API Server From Container rule where the API server's name resolves
 * as inside a cluster, which takes a private mount namespace (root).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventToJson } from '../../src/event/json.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import { FALCO_RULES } from '../support/falco.js';
import { replayWithHosts } from '../support/replay.js';
import { fired, gate, k8sConnect, tail } from './falco-support.js';

describe("Falco's stable ruleset", () => {
  // fd.sip.name holds when the server address is one of the addresses the name in the rule resolves
  // to (Falco's DNS manager; vigil: /etc/hosts, then the resolver). kubernetes.default.svc.cluster.local
  // resolves only inside a cluster: `vigil replay` runs here in a private mount namespace whose
  // /etc/hosts (a bind mount seen by that process alone) gives the name the cluster's service address,
  // as a pod's resolver would. The host's /etc/hosts is never touched. Needs root (unshare, mount).
  it("Contact K8S API Server From Container: fires alone with Falco's output (inside a cluster)", (t) => {
    if (!gate(t)) return;
    if (process.getuid?.() !== 0) {
      if (process.env.CI) throw new Error('this test needs root (unshare --mount), and CI is set');
      return t.skip('needs root: unshare --mount and a bind mount over /etc/hosts');
    }
    const dir = mkdtempSync(join(tmpdir(), 'vigil-k8s-'));
    try {
      const hosts = join(dir, 'hosts');
      writeFileSync(hosts, '127.0.0.1 localhost\n10.96.0.1 kubernetes.default.svc.cluster.local\n');
      const events = join(dir, 'events.jsonl');
      const ev = sampleEvent({
        ...k8sConnect,
        fd: { ...k8sConnect.fd, name: '172.17.0.2:40000->10.96.0.1:443', rip: '10.96.0.1' },
      });
      writeFileSync(events, `${eventToJson(ev)}\n`);
      const alerts = replayWithHosts(hosts, events, [FALCO_RULES]);
      assert.deepEqual(
        alerts.map((a) => a.rule),
        ['Contact K8S API Server From Container'],
      );
      assert.equal(
        alerts[0].output,
        'Unexpected connection to K8s API Server from container | connection=172.17.0.2:40000->10.96.0.1:443 ' +
          'lport=40000 rport=443 fd_type=ipv4 fd_proto=tcp ' +
          tail({
            type: 'connect',
            user: 'root',
            uid: 0,
            proc: 'curl',
            exepath: '/usr/bin/curl',
            parent: 'sh',
            cmd: 'curl -k https://kubernetes.default/api',
          }),
      );
      // Outside that namespace the name does not resolve to the address: the same event is silent here.
      assert.deepEqual(fired(ev), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
