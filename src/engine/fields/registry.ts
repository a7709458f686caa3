/**
 * The one field registry: every field name vigil understands, defined once
 * in the class files (evt, proc, thread, user/group, fd, fs, container, container.mount, k8s).
 *
 *   lookupField(name)            the definition, or undefined
 *   resolveField(name, arg)      definition + validated argument + bound getter
 *                                (used by the condition compiler and by output templates)
 *   allFields()                  every definition, in documentation order
 */
import { CONTAINER_FIELDS } from './container.js';
import { CONTAINER_MOUNT_FIELDS } from './container-mount.js';
import { EVT_FIELDS } from './evt.js';
import { FD_FIELDS } from './fd.js';
import { FS_FIELDS } from './fs.js';
import { K8S_FIELDS } from './k8s.js';
import { PROC_FIELDS } from './proc.js';
import { TARGET_FIELDS } from './target.js';
import { THREAD_FIELDS } from './thread.js';
import type { FieldDef, Getter } from './field-types.js';
import { USER_FIELDS } from './user.js';

/** Field classes in documentation order. */
export const FIELD_CLASSES: ReadonlyArray<{ name: string; fields: readonly FieldDef[] }> = [
  { name: 'evt', fields: EVT_FIELDS },
  { name: 'evt.target', fields: TARGET_FIELDS },
  { name: 'proc', fields: PROC_FIELDS },
  { name: 'thread', fields: THREAD_FIELDS },
  { name: 'user / group', fields: USER_FIELDS },
  { name: 'fd', fields: FD_FIELDS },
  { name: 'fs', fields: FS_FIELDS },
  { name: 'container', fields: CONTAINER_FIELDS },
  { name: 'container.mount', fields: CONTAINER_MOUNT_FIELDS },
  { name: 'k8s', fields: K8S_FIELDS },
];

export const ALL_FIELDS: readonly FieldDef[] = FIELD_CLASSES.flatMap((c) => c.fields);

const BY_NAME = new Map<string, FieldDef>();
for (const def of ALL_FIELDS) {
  if (BY_NAME.has(def.name)) throw new Error(`field ${def.name} defined twice`);
  BY_NAME.set(def.name, def);
}

/** Every field definition, in documentation order. */
export function allFields(): readonly FieldDef[] {
  return ALL_FIELDS;
}

export function lookupField(name: string): FieldDef | undefined {
  return BY_NAME.get(name);
}

/** A field reference that failed: `part` says whether the name or the argument is wrong. */
export class FieldError extends Error {
  constructor(
    message: string,
    readonly part: 'name' | 'arg',
  ) {
    super(message);
  }
}

export interface ResolvedField {
  def: FieldDef;
  /** As written: `proc.aname[2]`, `evt.arg.flags`. */
  text: string;
  arg: string | number | undefined;
  get: Getter;
}

/**
 * Resolves `name` (with its `[arg]`, if any) to a bound getter. Key fields
 * also take the argument after a dot, as Falco allows: `evt.arg.flags`.
 * Throws FieldError.
 */
export function resolveField(name: string, argText: string | undefined): ResolvedField {
  let def = BY_NAME.get(name);
  let rawArg = argText;
  if (def === undefined) {
    for (let dot = name.lastIndexOf('.'); dot > 0; dot = name.lastIndexOf('.', dot - 1)) {
      const base = BY_NAME.get(name.slice(0, dot));
      if (base !== undefined && base.arg === 'key') {
        if (argText !== undefined) {
          throw new FieldError(`field '${name}' already has an argument after the dot`, 'arg');
        }
        def = base;
        rawArg = name.slice(dot + 1);
        break;
      }
    }
  }
  if (def === undefined) throw new FieldError(`unknown field '${name}'`, 'name');
  const text = argText === undefined ? name : `${name}[${argText}]`;
  let arg: string | number | undefined;
  if (rawArg !== undefined) {
    if (def.arg === 'none') throw new FieldError(`field '${def.name}' takes no argument`, 'arg');
    if (def.arg === 'index') {
      if (!/^[0-9]+$/.test(rawArg)) {
        throw new FieldError(`field '${def.name}' needs a numeric argument, not '${rawArg}'`, 'arg');
      }
      arg = Number(rawArg);
    } else {
      if (rawArg === '') throw new FieldError(`field '${def.name}' needs a non-empty argument`, 'arg');
      arg = rawArg;
    }
  } else if (def.argRequired) {
    throw new FieldError(`field '${def.name}' needs an argument, e.g. ${def.name}[...]`, 'name');
  }
  return { def, text, arg, get: def.bind(arg) };
}
