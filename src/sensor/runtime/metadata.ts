/**
 * What a container runtime says about one container, whatever the runtime
 * (CRI or Docker Engine API), and the image reference split as Falco splits
 * it into container.image.repository / .tag / .digest.
 */
import type { ContainerInfo, PodInfo } from '../../event/types.js';

/** The runtime's answer for one container: the ContainerInfo fields it fills. */
export type RuntimeMetadata = Pick<
  ContainerInfo,
  | 'name'
  | 'image'
  | 'image_repository'
  | 'image_tag'
  | 'image_digest'
  | 'image_id'
  | 'privileged'
  | 'labels'
  | 'start_ts'
> & { pod?: PodInfo };

/** The fields a runtime lookup fills: what an alert names as unknown while it has not answered. */
export const RUNTIME_FIELDS: readonly string[] = [
  'container.name',
  'container.image',
  'container.image.repository',
  'container.image.tag',
  'container.image.digest',
  'container.image.id',
  'container.privileged',
  'container.labels',
];
/** Also unknown for a container in a pod (a cgroup path naming a pod uid). */
export const RUNTIME_POD_FIELDS: readonly string[] = ['k8s.pod.name', 'k8s.ns.name', 'k8s.pod.labels'];

export interface ImageRef {
  repository: string;
  tag: string;
  digest: string;
}

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/**
 * `[registry[:port]/]path[:tag][@digest]` split: the tag is the part after the last ':' only
 * when no '/' follows it (a registry port is not a tag).
 */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (DIGEST.test(d)) digest = d;
    rest = rest.slice(0, at);
  }
  let tag = '';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { repository: rest, tag, digest };
}

/** The image fields from the image the container names and the reference the runtime resolved. */
export function imageFields(image: string, resolved: string, imageId: string): RuntimeMetadata {
  const named = parseImageRef(image);
  const digest = named.digest || parseImageRef(resolved).digest;
  const id = imageId.startsWith('sha256:') ? imageId.slice(7) : imageId;
  const out: RuntimeMetadata = {};
  if (image !== '' && !image.startsWith('sha256:')) {
    out.image = image;
    out.image_repository = named.repository;
    out.image_tag = named.tag;
  }
  if (digest !== '') out.image_digest = digest;
  if (/^[0-9a-f]{12,}$/.test(id)) out.image_id = id.slice(0, 12);
  return out;
}
