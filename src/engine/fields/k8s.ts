/**
 * k8s.* fields: vigil has no Kubernetes metadata source, so they compile
 * (rules that name them load) and always have no value (<NA>).
 */
import { unavailable } from './define.js';
import type { FieldDef } from './types.js';

export const K8S_FIELDS: FieldDef[] = [
  unavailable('k8s.ns.name', 'string', 'Kubernetes namespace'),
  unavailable('k8s.pod.name', 'string', 'Pod name'),
  unavailable('k8s.pod.id', 'string', 'Pod id'),
  unavailable('k8s.pod.uid', 'string', 'Pod uid'),
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
