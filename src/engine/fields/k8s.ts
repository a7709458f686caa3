/**
 * k8s.* fields. The pod's namespace, name, uid and labels come with the event
 * (`event.container.pod`): from the container runtime (CRI PodSandboxStatus,
 * src/sensor/runtime/) or, without one, from the kubelet's directories on
 * the node (src/sensor/k8s-pods.ts, no labels). Outside a pod they have no
 * value (<NA>), as in Falco. Fields that need the Kubernetes API server
 * (namespace labels, deployments, services) compile and are always <NA>.
 */
import type { PodInfo, VigilEvent } from '../../event/types.js';
import { formatLabels } from './container.js';
import { keyed, plain, unavailable } from './define.js';
import type { FieldDef } from './field-types.js';

const ofPod =
  (read: (p: PodInfo) => string | undefined) =>
  (ev: VigilEvent): string | undefined => {
    const pod = ev.proc.container_id === '' ? undefined : ev.container?.pod;
    return pod === undefined ? undefined : read(pod);
  };

export const K8S_FIELDS: FieldDef[] = [
  plain(
    'k8s.ns.name',
    'string',
    'Kubernetes namespace',
    ofPod((p) => p.namespace),
  ),
  plain(
    'k8s.pod.name',
    'string',
    'Pod name',
    ofPod((p) => p.name),
  ),
  plain(
    'k8s.pod.id',
    'string',
    "Pod uid (Falco's older name for k8s.pod.uid)",
    ofPod((p) => p.uid),
  ),
  plain(
    'k8s.pod.uid',
    'string',
    'Pod uid',
    ofPod((p) => p.uid),
  ),
  plain(
    'k8s.pod.labels',
    'string',
    "Pod labels, 'key:value' joined by ',' (from the container runtime)",
    ofPod((p) => formatLabels(p.labels, ',')),
  ),
  keyed('k8s.pod.label', 'string', 'One pod label (k8s.pod.label[app])', true, (key) =>
    ofPod((p) => (key === undefined ? undefined : p.labels?.[key])),
  ),
  unavailable('k8s.pod.sandbox_id', 'string', 'Pod sandbox id'),
  unavailable('k8s.pod.full_sandbox_id', 'string', 'Pod sandbox id (full)'),
  unavailable('k8s.pod.ip', 'string', 'Pod IP'),
  unavailable('k8s.pod.cni.json', 'string', 'Pod CNI result'),
  unavailable('k8s.ns.labels', 'string', 'Namespace labels'),
  unavailable('k8s.ns.label', 'string', 'One namespace label', 'key'),
  unavailable('k8s.deployment.name', 'string', 'Deployment name'),
  unavailable('k8s.rs.name', 'string', 'ReplicaSet name'),
  unavailable('k8s.svc.name', 'string', 'Service name'),
];
