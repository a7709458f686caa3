/**
 * container.mounts and container.mount.* (Falco's names and semantics), from the mounts the
 * event carries (`event.container.mounts`, read by the sensor for the event types whose rules
 * ask: src/sensor/container-mounts.ts).
 *
 * The argument selects one mount: a number (`container.mount.dest[0]`), or a path glob (`*`
 * matches `/` too) matched against the mount's source (`container.mount.dest[/proc*]`: where a
 * host path under /proc is mounted) or, for container.mount.source, against its destination. The
 * first matching mount answers. With none (or the mounts unknown: the process was gone before
 * they could be read), container.mount is `none` and the others are the text `<NA>`, as Falco's
 * container plugin gives them: Falco's rules test `not container.mount.dest[/etc] in ("<NA>",
 * "N/A")`, which a missing value would make true. Outside containers they have no value.
 */
import type { ContainerMount, VigilEvent } from '../../event/types.js';
import { globMatcher } from '../condition/matchers.js';
import { keyed, plain } from './define.js';
import { NO_VALUE } from './format.js';
import type { FieldDef, Getter } from './field-types.js';

/** Falco's rendering of one mount: `source:dest:mode:rdwr:propagation`. */
const describe = (m: ContainerMount): string => `${m.source}:${m.dest}:${m.mode}:${m.rdwr}:${m.propagation}`;

const mountsOf = (ev: VigilEvent): readonly ContainerMount[] | undefined =>
  ev.proc.container_id === '' ? undefined : ev.container?.mounts;

/** The mount an argument selects: by index, or by a glob on the source (on the dest with `byDest`). */
function selector(
  arg: string,
  byDest: boolean,
): (mounts: readonly ContainerMount[]) => ContainerMount | undefined {
  if (/^[0-9]+$/.test(arg)) {
    const i = Number(arg);
    return (mounts) => mounts[i];
  }
  const match = globMatcher(arg, false);
  return (mounts) => mounts.find((m) => match(byDest ? m.dest : m.source));
}

function mountField(
  name: string,
  description: string,
  byDest: boolean,
  read: (m: ContainerMount) => string,
  missing = NO_VALUE,
): FieldDef {
  return keyed(name, 'string', description, true, (arg): Getter => {
    const select = selector(arg ?? '', byDest);
    return (ev) => {
      if (ev.proc.container_id === '') return undefined;
      const mounts = ev.container?.mounts;
      const m = mounts === undefined ? undefined : select(mounts);
      return m === undefined ? missing : read(m);
    };
  });
}

const BY_SOURCE = 'by number (container.mount.dest[0]) or by a glob on the mount source';

export const CONTAINER_MOUNT_FIELDS: FieldDef[] = [
  plain(
    'container.mounts',
    'string',
    "The container's mounts, comma-separated, each as source:dest:mode:rdwr:propagation",
    (ev) => mountsOf(ev)?.map(describe).join(','),
  ),
  mountField(
    'container.mount',
    `One mount as source:dest:mode:rdwr:propagation, ${BY_SOURCE} (container.mount[/etc]); 'none' when no mount matches (the others: '<NA>')`,
    false,
    describe,
    'none',
  ),
  mountField(
    'container.mount.source',
    'The host path a mount shows, by number or by a glob on the mount destination (container.mount.source[/host*])',
    true,
    (m) => m.source,
  ),
  mountField(
    'container.mount.dest',
    `Where a mount is in the container, ${BY_SOURCE} (container.mount.dest[/var/run/docker.sock])`,
    false,
    (m) => m.dest,
  ),
  mountField('container.mount.mode', `A mount's options (ro,nosuid,...), ${BY_SOURCE}`, false, (m) => m.mode),
  mountField(
    'container.mount.rdwr',
    `'true' for a read-write mount, 'false' for a read-only one, ${BY_SOURCE}`,
    false,
    (m) => String(m.rdwr),
  ),
  mountField(
    'container.mount.propagation',
    `A mount's propagation (shared, slave, private), ${BY_SOURCE}`,
    false,
    (m) => m.propagation,
  ),
];
