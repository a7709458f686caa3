/**
 * The Kubernetes manifests: schema-checked offline against the Kubernetes API's
 * OpenAPI schemas (kubernetes-models: ajv validators generated from them, what
 * `kubectl apply --dry-run=client` checks), then checked for what vigil needs:
 * the host mounts, the node name, no Secret shipped (the user creates it: re-applying never
 * overwrites credentials) and secret keys that docs/deploy.md names, a config vigil accepts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as yaml from 'js-yaml';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IContainer, IVolume } from 'kubernetes-models/v1';
import { parseConfig } from '../../src/config/index.js';
import { repo, yamlDocs } from './support.js';

const DIR = repo('deploy', 'kubernetes');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Model = new (data: any) => { validate(): void };
const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/DaemonSet': DaemonSet,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

interface Manifest {
  file: string;
  doc: Record<string, unknown> & {
    apiVersion: string;
    kind: string;
    metadata: { name: string; labels?: object };
  };
}

function manifests(): Manifest[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((file) => yamlDocs(`${DIR}/${file}`).map((doc) => ({ file, doc: doc as Manifest['doc'] })));
}

interface AgentDaemonSet {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { hostPID: boolean; containers: IContainer[]; volumes: IVolume[] };
    };
  };
}

function find<T = Manifest['doc']>(kind: string, name: string): T {
  const m = manifests().find((x) => x.doc.kind === kind && x.doc.metadata.name === name);
  assert.ok(m, `${kind}/${name} is defined`);
  return m.doc as unknown as T;
}

test('every manifest validates against the Kubernetes schema of its kind', () => {
  const all = manifests();
  assert.ok(all.length >= 7);
  for (const { file, doc } of all) {
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    assert.ok(Model, `${file}: no schema for ${doc.apiVersion} ${doc.kind}`);
    assert.doesNotThrow(() => new Model(doc).validate(), `${file}: ${doc.kind}/${doc.metadata.name}`);
  }
});

test('the validator does reject a broken manifest (so the check above means something)', () => {
  const ds = structuredClone(find<AgentDaemonSet>('DaemonSet', 'vigil'));
  (ds.spec.template.spec.containers[0].ports as unknown[])[0] = { containerPort: 'nine' };
  assert.throws(() => new DaemonSet(ds as never).validate(), /containerPort must be integer/);
  assert.throws(
    () => new Service({ metadata: { name: 'x' }, spec: { ports: [{}] } } as never).validate(),
    /port/,
  );
});

/** The keys of the `vigil.env` docs/deploy.md tells the user to create the Secret from. */
function documentedSecretKeys(): string[] {
  const doc = readFileSync(repo('docs', 'deploy.md'), 'utf8');
  const env = /```sh\n# vigil\.env\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(env, 'docs/deploy.md shows vigil.env');
  return env
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => l.slice(0, l.indexOf('=')));
}

test('no Secret is shipped: docs/deploy.md creates vigil-secrets before kubectl apply -k', () => {
  assert.deepEqual(
    manifests().filter((m) => m.doc.kind === 'Secret'),
    [],
    're-applying the manifests must never overwrite real credentials',
  );
  const [k] = yamlDocs(`${DIR}/kustomization.yaml`);
  assert.equal(k.secretGenerator, undefined, 'no generated Secret either');
  const doc = readFileSync(repo('docs', 'deploy.md'), 'utf8');
  const create = doc.indexOf(
    'kubectl -n vigil create secret generic vigil-secrets --from-env-file=vigil.env',
  );
  const namespace = doc.indexOf('kubectl apply -f deploy/kubernetes/namespace.yaml');
  const apply = doc.indexOf('kubectl apply -k deploy/kubernetes');
  assert.ok(namespace >= 0 && namespace < create, 'the namespace is applied before the Secret is created');
  assert.ok(create >= 0 && create < apply, 'the Secret is created before kubectl apply -k');
  // Every secret the manifests read is one the documented file holds, and each is optional.
  const ds = find<AgentDaemonSet>('DaemonSet', 'vigil');
  const refs = (ds.spec.template.spec.containers[0].env ?? []).flatMap((e) =>
    e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : [],
  );
  const sm = find<{ spec: { endpoints: { bearerTokenSecret?: { name: string; key: string } }[] } }>(
    'ServiceMonitor',
    'vigil',
  );
  const smRefs = sm.spec.endpoints.flatMap((e) => (e.bearerTokenSecret ? [e.bearerTokenSecret] : []));
  const keys = documentedSecretKeys();
  assert.deepEqual(
    refs.map((r) => r.key).sort(),
    [...keys].sort(),
    'the DaemonSet passes each documented key',
  );
  for (const ref of [...refs, ...smRefs]) {
    assert.equal(ref.name, 'vigil-secrets');
    assert.ok(keys.includes(ref.key), `secret key ${ref.key} is in docs/deploy.md's vigil.env`);
  }
  for (const ref of refs) assert.equal(ref.optional, true, `${ref.key}: the pod starts without it`);
});

test('kustomization lists every manifest but the optional ServiceMonitor, and only files that exist', () => {
  const [k] = yamlDocs(`${DIR}/kustomization.yaml`) as { resources: string[] }[];
  for (const r of k.resources) assert.ok(existsSync(`${DIR}/${r}`), r);
  const expected = [...new Set(manifests().map((m) => m.file))]
    .filter((f) => f !== 'servicemonitor.yaml')
    .sort();
  assert.deepEqual([...k.resources].sort(), expected);
});

test('DaemonSet: hostPID, the host mounts vigil needs, node name, probes, resources', () => {
  const ds = find<AgentDaemonSet>('DaemonSet', 'vigil');
  const pod = ds.spec.template.spec;
  assert.equal(pod.hostPID, true);
  for (const [k, v] of Object.entries(ds.spec.selector.matchLabels))
    assert.equal(ds.spec.template.metadata.labels[k], v);
  const [c] = pod.containers;

  const volumes = new Map(pod.volumes.map((v) => [v.name, v]));
  const hostPaths = new Map(
    (c.volumeMounts ?? []).map((m) => {
      const v = volumes.get(m.name);
      assert.ok(v, `volumeMount ${m.name} has a volume`);
      return [v.hostPath?.path ?? `(${m.name})`, m] as const;
    }),
  );
  for (const p of [
    '/sys/kernel/btf',
    '/sys/fs/bpf',
    '/sys/fs/cgroup',
    '/proc',
    '/etc/passwd',
    '/etc/group',
  ]) {
    assert.ok(hostPaths.has(p), `host ${p} is mounted`);
  }
  for (const p of [
    '/sys/kernel/btf',
    '/proc',
    '/etc/passwd',
    '/etc/group',
    '/sys/fs/cgroup',
    '/var/log/pods',
    '/var/log/containers',
    '/run/containerd/containerd.sock',
  ]) {
    assert.equal(hostPaths.get(p)?.readOnly, true, `${p} is read-only`);
  }

  const env = new Map((c.env ?? []).map((e) => [e.name, e]));
  assert.equal(env.get('VIGIL_NODE_NAME')?.valueFrom?.fieldRef?.fieldPath, 'spec.nodeName');
  assert.equal(env.get('VIGIL_POD_NAME')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
  assert.equal(env.get('VIGIL_POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');

  assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory, 'requests set');
  assert.ok(c.resources?.limits?.cpu && c.resources.limits.memory, 'limits set');
  // Liveness never depends on a sink: an outage elsewhere must not restart every agent.
  assert.equal(c.livenessProbe?.httpGet?.path, '/livez');
  assert.equal(c.startupProbe?.httpGet?.path, '/livez');
  assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
  assert.deepEqual(
    c.ports?.map((p) => [p.name, p.containerPort]),
    [['metrics', 9476]],
  );
  const added = c.securityContext?.capabilities?.add ?? [];
  for (const cap of ['BPF', 'PERFMON', 'SYS_ADMIN']) assert.ok(added.includes(cap), `capability ${cap}`);
  assert.equal(c.securityContext?.runAsUser, 0);
});

test('the ConfigMap holds a vigil.yaml that vigil accepts, at the path the DaemonSet passes', () => {
  const cm = find<{ data: Record<string, string> }>('ConfigMap', 'vigil-config');
  const config = parseConfig(cm.data['vigil.yaml'], 'configmap vigil-config', {});
  assert.equal(config.hostname, '', 'host name comes from VIGIL_NODE_NAME');
  assert.equal(config.metrics.listen, '0.0.0.0:9476');
  assert.ok(config.rules.paths.includes('/etc/vigil/rules.d'));

  const ds = find<AgentDaemonSet>('DaemonSet', 'vigil');
  const [c] = ds.spec.template.spec.containers;
  const configArg = c.args?.[(c.args?.indexOf('--config') ?? -2) + 1];
  const configMount = c.volumeMounts?.find((m) => m.name === 'config');
  assert.equal(configArg, `${configMount?.mountPath}/vigil.yaml`);
  // The pod metadata directories the DaemonSet mounts are the ones the agent reads.
  const mounts = new Set(c.volumeMounts?.map((m) => m.mountPath));
  assert.ok(mounts.has(config.kubernetes.pods_dir), config.kubernetes.pods_dir);
  assert.ok(mounts.has(config.kubernetes.containers_dir), config.kubernetes.containers_dir);
  const rulesMount = c.volumeMounts?.find((m) => m.name === 'rules');
  assert.equal(rulesMount?.mountPath, '/etc/vigil/rules.d');
  assert.equal(
    ds.spec.template.spec.volumes.find((v) => v.name === 'rules')?.configMap?.name,
    find('ConfigMap', 'vigil-rules').metadata.name,
  );
});

test('Service selects the agent pods; ServiceMonitor selects the Service and its named port', () => {
  const svc = find<{
    metadata: { labels: Record<string, string> };
    spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
  }>('Service', 'vigil-metrics');
  const ds = find<AgentDaemonSet>('DaemonSet', 'vigil');
  for (const [k, v] of Object.entries(svc.spec.selector))
    assert.equal(ds.spec.template.metadata.labels[k], v);
  assert.deepEqual(
    svc.spec.ports.map((p) => [p.name, p.targetPort]),
    [['metrics', 'metrics']],
  );
  const sm = find<{
    spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
  }>('ServiceMonitor', 'vigil');
  for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assert.equal(svc.metadata.labels[k], v);
  assert.equal(sm.spec.endpoints[0].port, 'metrics');
});

test('docs/deploy.md: the kustomize overlay shown instead of a Helm chart patches paths that exist', () => {
  const doc = readFileSync(repo('docs', 'deploy.md'), 'utf8');
  const block = /### Helm[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'docs/deploy.md shows an overlay');
  const overlay = yaml.load(block) as {
    resources: string[];
    images: { name: string }[];
    patches: { target: { kind: string; name: string }; patch: string }[];
  };
  assert.deepEqual(overlay.resources, ['../deploy/kubernetes']);
  const ds = find<AgentDaemonSet>('DaemonSet', 'vigil');
  assert.ok(
    ds.spec.template.spec.containers.some((c) => c.image?.split(':')[0] === overlay.images[0].name),
    'the image name the overlay replaces is the DaemonSet image',
  );
  for (const p of overlay.patches) {
    assert.equal(find(p.target.kind, p.target.name).kind, p.target.kind);
    for (const op of yaml.load(p.patch) as { op: string; path: string }[]) {
      let node: unknown = find(p.target.kind, p.target.name);
      for (const key of op.path.split('/').slice(1)) node = (node as Record<string, unknown>)?.[key];
      assert.notEqual(node, undefined, `${op.path} exists (a JSON-patch replace needs it)`);
    }
  }
});
