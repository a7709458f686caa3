/**
 * container.* fields. As in Falco, a process on the host has container.id
 * and container.name 'host' (the ruleset's `container` macro is
 * `container.id != host`); the other container fields have no value there.
 */
import type { ContainerInfo, VigilEvent } from '../../event/types.js';
import { plain, unavailable } from './define.js';
import type { FieldDef, FieldType, Getter } from './types.js';

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
  info('container.image', 'string', 'Image name with tag', (c) => c.image),
  info('container.image.repository', 'string', 'Image repository', (c) => c.image_repository),
  info('container.image.tag', 'string', 'Image tag', (c) => c.image_tag),
  info('container.privileged', 'bool', 'true for a privileged container', (c) => c.privileged),
  info('container.start_ts', 'abstime', 'Container start time, ns since the epoch', (c) => c.start_ts),
  plain('container.duration', 'reltime', 'Time since the container started, ns', (ev) => {
    const start = ev.proc.container_id === '' ? undefined : ev.container?.start_ts;
    return start === undefined ? undefined : ev.ts - start;
  }),
  unavailable('container.image.id', 'string', 'Image id'),
  unavailable('container.type', 'string', 'Container runtime'),
];
