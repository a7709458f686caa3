/**
 * Rendering field values as Falco renders them in outputs: `<NA>` for no
 * value, integers in decimal, booleans true/false, lists as (a,b).
 */
import type { FieldDef, FieldValue } from './field-types.js';

export const NO_VALUE = '<NA>';

export function formatFieldValue(def: FieldDef, value: FieldValue | undefined): string {
  if (value === undefined) return NO_VALUE;
  if (typeof value === 'string') return def.type === 'bytebuf' ? printable(value) : value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    return def.type === 'string' || Number.isInteger(value) ? String(value) : String(Math.trunc(value));
  }
  return `(${value.join(',')})`;
}

/** Bytes as Falco prints a buffer: printable ASCII as itself, every other byte as '.'. */
function printable(bytes: string): string {
  return bytes.replace(/[^\x20-\x7e]/g, '.');
}
