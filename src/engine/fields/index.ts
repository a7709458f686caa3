export type { ArgKind, FieldDef, FieldType, FieldValue, Getter } from './field-types.js';
export {
  ALL_FIELDS,
  allFields,
  FIELD_CLASSES,
  FieldError,
  lookupField,
  resolveField,
  type ResolvedField,
} from './registry.js';
export { formatFieldValue, NO_VALUE } from './format.js';
export { canonicalIp, parseNet, type IpNet } from './ip.js';
