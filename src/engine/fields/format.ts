/**
 * Rendering field values as Falco renders them in outputs: `<NA>` for no
 * value, integers in decimal, booleans true/false, lists as (a,b).
 */
import type { FieldDef, FieldValue } from './types.js';

export const NO_VALUE = '<NA>';

export function formatFieldValue(def: FieldDef, value: FieldValue | undefined): string {
  if (value === undefined) return NO_VALUE;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    return def.type === 'string' || Number.isInteger(value) ? String(value) : String(Math.trunc(value));
  }
  return `(${value.join(',')})`;
}
