/**
 * Loading vigil.yaml: trusted-file check, YAML parse, ${ENV:NAME} references,
 * schema validation with defaults filled in. Every error names the file, the
 * line and column, the key and what was expected; all errors are reported at
 * once so a person fixes the file in one pass.
 */
import { readFileSync, existsSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { Ajv, type ErrorObject } from 'ajv';
import { configSchema, type VigilConfig } from './schema.js';
import { parseYamlWithPositions, YamlError, type YamlPositions } from './yaml-positions.js';
import { expandEnvRefs } from './env-refs.js';
import { assertTrusted } from './trusted-file.js';
import { DEFAULT_CONFIG_PATH, bundledRulesDir } from './paths.js';
import { outputsProblems, outputsKey } from '../outputs/index.js';

export interface ConfigProblem {
  line: number;
  col: number;
  /** Dotted key path, e.g. `metrics.listen` or `rules.paths[0]`. */
  key: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    problems.sort((a, b) => a.line - b.line || a.col - b.col);
    super(
      problems.map((p) => `${file}:${p.line}:${p.col}: ${p.key ? p.key + ': ' : ''}${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: VigilConfig;
  /** The file read, or null when none was given and the default path does not exist. */
  file: string | null;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true });
ajv.addKeyword({ keyword: 'expected', schemaType: 'string' });
const validate = ajv.compile<VigilConfig>(configSchema);

/** `/rules/paths/0` → `rules.paths[0]` */
function keyPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, k) => (/^\d+$/.test(k) ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  return String(value);
}

function expectedText(err: ErrorObject): string {
  const annotated = (err.parentSchema as { expected?: string } | undefined)?.expected;
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'type':
      return annotated ?? (p.type === 'object' ? 'a mapping' : p.type === 'array' ? 'a list' : `${p.type}`);
    case 'enum':
      return `one of ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'minimum':
    case 'maximum':
      return annotated ?? `a number ${err.keyword === 'minimum' ? '>=' : '<='} ${p.limit}`;
    case 'minLength':
      return 'a non-empty string';
    default:
      return annotated ?? err.message ?? err.keyword;
  }
}

function problemsFromAjv(errors: ErrorObject[], pos: YamlPositions): ConfigProblem[] {
  return errors.map((err) => {
    if (err.keyword === 'additionalProperties') {
      const extra = String((err.params as { additionalProperty: string }).additionalProperty);
      const pointer = `${err.instancePath}/${extra.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const allowed = Object.keys((err.parentSchema as { properties: object }).properties);
      return {
        ...(pos.key(pointer) ?? pos.nearest(pointer)),
        key: keyPath(pointer),
        message: `unknown key; expected one of ${allowed.join(', ')}`,
      };
    }
    return {
      ...(pos.value(err.instancePath) ?? pos.nearest(err.instancePath)),
      key: keyPath(err.instancePath),
      message: `expected ${expectedText(err)}, got ${describe(err.data)}`,
    };
  });
}

/** Checks that need more than JSON Schema says. */
function semanticProblems(config: VigilConfig, pos: YamlPositions): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const ring = config.sensors.ring_buffer_bytes;
  if ((ring & (ring - 1)) !== 0) {
    out.push({
      ...(pos.value('/sensors/ring_buffer_bytes') ?? pos.nearest('/sensors')),
      key: 'sensors.ring_buffer_bytes',
      message: `expected a power of two (the kernel requires it), got ${ring}`,
    });
  }
  return out;
}

/**
 * The `outputs:` section, checked by the outputs' own definition of it. A key whose
 * ${ENV:} reference failed is already reported and not reported twice.
 */
function outputsSectionProblems(doc: unknown, pos: YamlPositions, envPointers: Set<string>): ConfigProblem[] {
  const outputs = (doc as { outputs?: unknown }).outputs;
  if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) return [];
  return outputsProblems(outputs)
    .map((p) => ({ ...p, pointer: `/outputs${p.pointer}` }))
    .filter((p) => !envPointers.has(p.pointer))
    .map((p) => ({
      ...((p.isKey ? pos.key(p.pointer) : pos.value(p.pointer)) ?? pos.nearest(p.pointer)),
      key: outputsKey(p.pointer.slice('/outputs'.length)),
      message: p.message,
    }));
}

/** Validates parsed YAML text; `file` is only used in messages. Throws ConfigError. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): VigilConfig {
  let doc: unknown;
  let pos: YamlPositions;
  try {
    ({ value: doc, positions: pos } = parseYamlWithPositions(text, file));
  } catch (err) {
    if (!(err instanceof YamlError)) throw err;
    throw new ConfigError(file, [
      { line: err.line, col: err.col, key: '', message: `YAML syntax: ${err.reason}` },
    ]);
  }
  if (doc === null || doc === undefined) doc = {};
  const envRefProblems = expandEnvRefs(doc, env);
  const envProblems = envRefProblems.map((p) => ({
    ...(pos.value(p.pointer) ?? pos.nearest(p.pointer)),
    key: keyPath(p.pointer),
    message: p.message,
  }));
  const outputs = outputsSectionProblems(doc, pos, new Set(envRefProblems.map((p) => p.pointer)));
  if (!validate(doc)) {
    throw new ConfigError(file, [...envProblems, ...problemsFromAjv(validate.errors ?? [], pos), ...outputs]);
  }
  const problems = [...envProblems, ...outputs, ...semanticProblems(doc, pos)];
  if (problems.length > 0) throw new ConfigError(file, problems);
  return doc;
}

/** Every key at its default: what vigil runs with when there is no file. */
export function defaultConfig(): VigilConfig {
  const doc = {};
  validate(doc);
  return withResolvedDefaults(doc as VigilConfig);
}

function withResolvedDefaults(config: VigilConfig): VigilConfig {
  if (config.rules.paths.length === 0) config.rules.paths = [bundledRulesDir()];
  return config;
}

/**
 * Loads the configuration: `path` when given (it must exist), else
 * /etc/vigil/vigil.yaml when present, else the defaults. The file and its
 * directories must be writable by root only (see trusted-file.ts).
 */
export function loadConfig(path?: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const file = path ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : null);
  if (file === null) return { config: defaultConfig(), file: null };
  assertTrusted(file, 'config file');
  const config = parseConfig(readFileSync(file, 'utf8'), file, env);
  return { config: withResolvedDefaults(config), file };
}

/**
 * The host name alerts carry: the config's, else $VIGIL_NODE_NAME (the DaemonSet sets it to the
 * node's name from the downward API: a pod's own host name is the pod's), else the kernel's.
 */
export function resolveHostname(config: VigilConfig, env: NodeJS.ProcessEnv = process.env): string {
  return config.hostname || env.VIGIL_NODE_NAME || osHostname();
}
