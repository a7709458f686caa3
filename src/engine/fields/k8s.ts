/**
 * k8s.* fields. The pod's namespace, name and uid come with the event
 * (`event.container.pod`, from the kubelet's directories on the node:
 * src/sensor/k8s-pods.ts); outside a pod they have no value (<NA>), as in
 * Falco. The rest needs the CRI or Kubernetes API, which vigil does not query:
 * those fields compile (rules that name them load) and are always <NA>.
 */
import type { PodInfo, VigilEvent } from '../../event/types.js';
import { plain, unavailable } from './define.js';
import type { FieldDef } from './types.js';

const ofPod =
  (read: (p: PodInfo) => string) =>
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
  unavailable('k8s.pod.sandbox_id', 'string', 'Pod sandbox id'),
  unavailable('k8s.pod.full_sandbox_id', 'string', 'Pod sandbox id (full)'),
  unavailable('k8s.pod.ip', 'string', 'Pod IP'),
  unavailable('k8s.pod.cni.json', 'string', 'Pod CNI result'),
  unavailable('k8s.pod.labels', 'string', 'Pod labels'),
  unavailable('k8s.pod.label', 'string', 'One pod label', 'key'),
  unavailable('k8s.ns.labels', 'string', 'Namespace labels'),
  unavailable('k8s.ns.label', 'string', 'One namespace label', 'key'),
  unavailable('k8s.deployment.name', 'string', 'Deployment name'),
  unavailable('k8s.rs.name', 'string', 'ReplicaSet name'),
  unavailable('k8s.svc.name', 'string', 'Service name'),
];
