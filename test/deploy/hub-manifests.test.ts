/**
 * deploy/kubernetes/hub: the hub's Deployment and Service, schema-checked offline
 * (kubernetes-models), unprivileged, secrets from vigil-hub-secrets only, probes on the hub's
 * real paths, and options `vigil hub` accepts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { buildProgram } from '../../src/cli/main.js';
import { repo, yamlDocs } from './support.js';

const DIR = repo('deploy', 'kubernetes', 'hub');

test('the hub manifests validate and run vigil hub unprivileged, with its secrets', () => {
  const [k] = yamlDocs(`${DIR}/kustomization.yaml`) as { resources: string[] }[];
  assert.deepEqual(k.resources, ['deployment.yaml', 'service.yaml']);
  const [dep] = yamlDocs(`${DIR}/deployment.yaml`);
  const [svc] = yamlDocs(`${DIR}/service.yaml`);
  new Deployment(dep as never).validate();
  new Service(svc as never).validate();
  const spec = (dep as { spec: { template: { spec: any } } }).spec.template.spec; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(spec.securityContext.runAsNonRoot, true);
  const c = spec.containers[0];
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.equal(c.args[0], 'hub');
  assert.equal(c.livenessProbe.httpGet.path, '/livez');
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  for (const e of c.env) assert.equal(e.valueFrom.secretKeyRef.name, 'vigil-hub-secrets');
  // The options parse: commander knows each of them.
  const hub = buildProgram().commands.find((cmd) => cmd.name() === 'hub')!;
  const known = new Set(hub.options.map((o) => o.long));
  for (const a of c.args.slice(1)) if (a.startsWith('--')) assert.ok(known.has(a), a);
});
