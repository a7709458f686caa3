/**
 * The field registry's types. A field is defined once: name, type, argument
 * kind, description, and how to read it from a VigilEvent. `bind(arg)` runs
 * once at compile time and returns the per-event getter, so that
 * `proc.aname[3]` becomes a closure reading `ev.proc.ancestors[2]` and a plain
 * field read allocates nothing.
 */
import type { EventType, VigilEvent } from '../../event/types.js';

/** Falco's field types, as far as vigil needs them. */
export type FieldType =
  | 'string'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'ipaddr'
  | 'ipnet'
  | 'port'
  /** Duration in ns. */
  | 'reltime'
  /** Time in ns since the epoch. */
  | 'abstime'
  /** A list of strings (Falco's list fields, e.g. fd.types). */
  | 'list'
  /** Raw bytes (Falco's BYTEBUF, evt.buffer): a string of one character per byte (latin1). */
  | 'bytebuf';

export type FieldValue = string | number | boolean | readonly string[];

/** undefined = no value (Falco's <NA>): every comparison on it is false. */
export type Getter = (ev: VigilEvent) => FieldValue | undefined;

export type ArgKind =
  /** No argument. */
  | 'none'
  /** An integer: proc.aname[2], evt.arg[1], fd.types[0]. */
  | 'index'
  /** A name: proc.env[LD_PRELOAD], evt.arg.flags (= evt.arg[flags]). */
  | 'key';

export interface FieldDef {
  name: string;
  type: FieldType;
  arg: ArgKind;
  /** The argument must be given (proc.env may go without: the whole environment). */
  argRequired: boolean;
  description: string;
  /** False when vigil knows the field but cannot fill it on this host (k8s.* ...): always <NA>. */
  available: boolean;
  /** Returns the getter for one argument (a number for 'index', a string for 'key'). */
  bind(arg: string | number | undefined): Getter;
  /**
   * Falco's "any ancestor" fields (proc.aname, proc.apid, ...): used without an
   * argument in a condition, a comparison holds if it holds for any ancestor.
   */
  anyOf?: (ev: VigilEvent) => readonly (string | number)[];
  /** Told each literal a condition compares the field with, at compile time (fd.sip.name resolves it). */
  watch?: (value: string) => void;
  /**
   * The value, when the event type alone decides it (evt.type, evt.dir): a condition compiled for
   * one event type folds comparisons on the field to constants.
   */
  byType?: (type: EventType) => FieldValue | undefined;
}
