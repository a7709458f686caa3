/** Shared by the deployment tests: the repository root and YAML documents of a file. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { packageRoot } from '../../src/config/paths.js';

export const repo = (...parts: string[]): string => join(packageRoot(), ...parts);

export function yamlDocs(path: string): Record<string, unknown>[] {
  return yaml.loadAll(readFileSync(path, 'utf8')).filter((d) => d !== null) as Record<string, unknown>[];
}
