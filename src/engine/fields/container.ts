/**
 * container.* fields. As in Falco, a process on the host has container.id
 * and container.name 'host' (the ruleset's `container` macro is
 * `container.id != host`); the other container fields have no value there.
 * The id and type come from the cgroup path; name, image, labels and the
 * privileged flag from the container runtime (src/sensor/runtime/), carried
 * by the event. Mount fields are container-mount.ts's.
 */
import type { ContainerInfo, VigilEvent } from '../../event/types.js';
import { keyed, plain, unavailable } from './define.js';
import type { FieldDef, FieldType, Getter } from './field-types.js';

const ofContainer =
  (read: (c: ContainerInfo) => string | number | boolean | undefined): Getter =>
  (ev: VigilEvent) =>
    ev.container === undefined || ev.proc.container_id === '' ? undefined : read(ev.container);

const info = (
  name: string,
  type: FieldType,
  description: string,
  read: (c: ContainerInfo) => string | number | boolean | undefined,
) => plain(name, type, description, ofContainer(read));

/** Labels as Falco prints them: `key:value` pairs joined by ', '. */
const labelText = new WeakMap<Record<string, string>, string>();
export function formatLabels(labels: Record<string, string> | undefined, sep: string): string | undefined {
  if (labels === undefined) return undefined;
  let text = labelText.get(labels);
  if (text === undefined) {
    text = Object.entries(labels)
      .map(([k, v]) => `${k}:${v}`)
      .join(sep);
    labelText.set(labels, text);
  }
  return text;
}

export const CONTAINER_FIELDS: FieldDef[] = [
  plain('container.id', 'string', "Container id (12 hex characters); 'host' outside containers", (ev) =>
    ev.proc.container_id === '' ? 'host' : ev.proc.container_id,
  ),
  plain(
    'container.name',
    'string',
    "Container name (in a pod: as the pod spec names it); 'host' outside containers",
    (ev) => (ev.proc.container_id === '' ? 'host' : ev.container?.name),
  ),
  info(
    'container.type',
    'string',
    'Container runtime: docker, containerd, cri-o, podman, lxc',
    (c) => c.type,
  ),
  info(
    'container.image',
    'string',
    'Image as the container was created from it (docker.io/library/nginx:1.25)',
    (c) => c.image,
  ),
  info(
    'container.image.repository',
    'string',
    'Image repository (docker.io/library/nginx)',
    (c) => c.image_repository,
  ),
  info('container.image.tag', 'string', 'Image tag (1.25)', (c) => c.image_tag),
  info('container.image.digest', 'string', 'Image registry digest (sha256:<hex>)', (c) => c.image_digest),
  info('container.image.id', 'string', 'Image id (12 hex characters)', (c) => c.image_id),
  info('container.privileged', 'bool', 'true for a privileged container', (c) => c.privileged),
  info('container.labels', 'string', "Container labels, 'key:value' joined by ', '", (c) =>
    formatLabels(c.labels, ', '),
  ),
  keyed('container.label', 'string', 'One container label (container.label[app])', true, (key) =>
    ofContainer((c) => (key === undefined ? undefined : c.labels?.[key])),
  ),
  info('container.start_ts', 'abstime', 'Container start time, ns since the epoch', (c) => c.start_ts),
  plain('container.duration', 'reltime', 'Time since the container started, ns', (ev) => {
    const start = ev.proc.container_id === '' ? undefined : ev.container?.start_ts;
    return start === undefined ? undefined : ev.ts - start;
  }),
  unavailable('container.healthcheck', 'string', 'Container health check'),
];
