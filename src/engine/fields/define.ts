/**
 * Small constructors so each class file reads as a table of fields. Each
 * returns a FieldDef; nothing here knows a particular field.
 */
import type { VigilEvent } from '../../event/types.js';
import type { FieldDef, FieldType, FieldValue, Getter } from './field-types.js';

const noValue: Getter = () => undefined;

/** A field without argument. */
export function plain(name: string, type: FieldType, description: string, get: Getter): FieldDef {
  return { name, type, arg: 'none', argRequired: false, description, available: true, bind: () => get };
}

/** A field taking an integer argument (`proc.aname[2]`); `bind` gets undefined when it is left out. */
export function indexed(
  name: string,
  type: FieldType,
  description: string,
  argRequired: boolean,
  bind: (index: number | undefined) => Getter,
  anyOf?: (ev: VigilEvent) => readonly (string | number)[],
): FieldDef {
  return {
    name,
    type,
    arg: 'index',
    argRequired,
    description,
    available: true,
    bind: (arg) => bind(arg as number | undefined),
    ...(anyOf ? { anyOf } : {}),
  };
}

/** A field taking a name argument (`proc.env[HOME]`, `evt.arg.flags`). */
export function keyed(
  name: string,
  type: FieldType,
  description: string,
  argRequired: boolean,
  bind: (key: string | undefined) => Getter,
): FieldDef {
  return {
    name,
    type,
    arg: 'key',
    argRequired,
    description,
    available: true,
    bind: (arg) => bind(arg === undefined ? undefined : String(arg)),
  };
}

/** A field vigil knows but cannot fill on this host: it compiles and is always <NA>. */
export function unavailable(
  name: string,
  type: FieldType,
  description: string,
  arg: 'none' | 'index' | 'key' = 'none',
): FieldDef {
  return {
    name,
    type,
    arg,
    argRequired: arg !== 'none',
    description: `${description} (not available to vigil: always <NA>)`,
    available: false,
    bind: () => noValue,
  };
}

/**
 * Memoises a derived value on the last input object: events are immutable, so
 * `proc.args` evaluated by twenty rules on one event joins the argv once.
 */
export function lastInput<I extends object, O extends FieldValue>(derive: (input: I) => O): (input: I) => O {
  let lastIn: I | undefined;
  let lastOut: O | undefined;
  return (input) => {
    if (input !== lastIn) {
      lastOut = derive(input);
      lastIn = input;
    }
    return lastOut as O;
  };
}
