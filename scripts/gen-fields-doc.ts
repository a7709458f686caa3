/** Writes docs/fields.md from the field registry: `node --import tsx scripts/gen-fields-doc.ts`. */
import { writeFileSync } from 'node:fs';
import { renderFieldsDoc } from '../src/engine/fields/doc.js';

const path = new URL('../docs/fields.md', import.meta.url);
writeFileSync(path, renderFieldsDoc());
console.log(`wrote ${path.pathname}`);
