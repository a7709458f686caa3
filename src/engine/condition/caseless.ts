/**
 * The case-insensitive operators (`icontains`, `iequals`, `istartswith`, `iendswith`, `iin`,
 * `iglob`) compile to their case-sensitive twins on lower-cased operands: the constant is
 * lowered once at compile time, the field's value once per event (the getter remembers its last
 * value and lower-cased form, shared by every rule reading the field), so the generated code
 * keeps the fast forms (`===`, `Set.has`, `includes`...) of the plain operators.
 */
import type { VigilEvent } from '../../event/types.js';
import type { FieldValue, Getter } from '../fields/field-types.js';
import type { BinaryOperator, Operator } from './ast.js';

/** Each case-insensitive operator and the operator it runs as on lower-cased operands. */
export const CASELESS: Readonly<Partial<Record<Operator, BinaryOperator>>> = {
  icontains: 'contains',
  iequals: '=',
  istartswith: 'startswith',
  iendswith: 'endswith',
  iin: 'in',
  iglob: 'glob',
};

const lowered = new WeakMap<Getter, Getter>();

/** `get`, lower-cased; one getter per field getter, remembering the last value it lowered. */
export function lowerGetter(get: Getter): Getter {
  let out = lowered.get(get);
  if (out === undefined) {
    let lastIn: FieldValue | undefined;
    let lastOut: string | undefined;
    out = (ev: VigilEvent) => {
      const v = get(ev);
      if (typeof v !== 'string') return v;
      if (v !== lastIn) {
        lastIn = v;
        lastOut = v.toLowerCase();
      }
      return lastOut;
    };
    lowered.set(get, out);
  }
  return out;
}

/** An any-of reader (proc.aname...), lower-cased. */
export function lowerAnyOf(
  anyOf: (ev: VigilEvent) => readonly (string | number)[],
): (ev: VigilEvent) => readonly (string | number)[] {
  return (ev) => anyOf(ev).map((v) => (typeof v === 'string' ? v.toLowerCase() : v));
}
