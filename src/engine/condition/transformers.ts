/**
 * Field transformers: tolower(f), toupper(f), b64(f) (base64 decode),
 * basename(f). They apply to string fields; a value a transformer cannot
 * produce (b64 of text that is not base64) is no value, as in Falco.
 */
import type { Transformer } from './ast.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const TRANSFORM: Readonly<Record<Transformer, (s: string) => string | undefined>> = {
  tolower: (s) => s.toLowerCase(),
  toupper: (s) => s.toUpperCase(),
  b64: (s) => (BASE64.test(s) ? Buffer.from(s, 'base64').toString('utf8') : undefined),
  basename: (s) => s.slice(s.lastIndexOf('/') + 1),
};
