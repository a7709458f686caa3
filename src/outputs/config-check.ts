/**
 * What `outputs:` may hold: its JSON Schema (config-schema.ts) checked with ajv, plus the checks a
 * schema cannot express (priority names, syslog facility, URLs, JSONata, readable certificate
 * files, unique sink names). The config loader runs it when vigil.yaml is read (each problem then
 * gets the file's line and column) and openOutputs runs it again for callers that build an
 * OutputsConfig themselves, so a bad section fails before any alert flows. Messages never quote a
 * value that may be a secret.
 */
import { accessSync, constants } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { canonicalEventType } from '../event/types.js';
import { compileJsonata } from './jsonata-expr.js';
import { OutputConfigError, type NatsSinkConfig, type OutputsConfig, type SinkConfig } from './config.js';
import { outputsSchema, sinkSchemas } from './config-schema.js';
import { parseFacility } from './formats/syslog-message.js';
import { parsePriority } from './priority.js';

export interface OutputsProblem {
  /** JSON pointer below `outputs` (`/sinks/0/webhook_url`). */
  pointer: string;
  message: string;
  /** The problem is the key itself (unknown), not its value. */
  isKey?: boolean;
}

const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
const validateOutputs = ajv.compile(outputsSchema);
const validateSink = Object.fromEntries(
  Object.entries(sinkSchemas).map(([type, schema]) => [type, ajv.compile(schema)]),
) as Record<string, ValidateFunction>;

const escapeKey = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');
const snakeCase = (k: string): string => k.replace(/[A-Z]+/g, (m) => `_${m.toLowerCase()}`);

/** A value in a message: never a string's content (it may be a secret), only its kind. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return String(value);
}

function fromAjv(err: ErrorObject, prefix: string): OutputsProblem {
  const p = err.params as Record<string, unknown>;
  const at = prefix + err.instancePath;
  switch (err.keyword) {
    case 'additionalProperties': {
      const extra = String(p.additionalProperty);
      const allowed = Object.keys((err.parentSchema as { properties: object }).properties);
      const hint = allowed.includes(snakeCase(extra)) ? ` (keys are snake_case: ${snakeCase(extra)})` : '';
      return {
        pointer: `${at}/${escapeKey(extra)}`,
        message: `unknown key${hint}; expected one of ${allowed.join(', ')}`,
        isKey: true,
      };
    }
    case 'required':
      return { pointer: `${at}/${escapeKey(String(p.missingProperty))}`, message: 'required, missing' };
    case 'type': {
      const want = p.type === 'object' ? 'a mapping' : p.type === 'array' ? 'a list' : `${p.type}`;
      return { pointer: at, message: `expected ${want}, got ${describe(err.data)}` };
    }
    case 'enum':
      return {
        pointer: at,
        message: `expected one of ${(p.allowedValues as unknown[]).join(', ')}, got ${JSON.stringify(err.data)}`,
      };
    case 'minimum':
    case 'maximum':
      return {
        pointer: at,
        message: `expected a number ${err.keyword === 'minimum' ? '>=' : '<='} ${p.limit}, got ${describe(err.data)}`,
      };
    case 'minLength':
      return { pointer: at, message: 'expected a non-empty string' };
    case 'minItems':
      return { pointer: at, message: `expected at least ${p.limit} entr${p.limit === 1 ? 'y' : 'ies'}` };
    default:
      return { pointer: at, message: err.message ?? err.keyword };
  }
}

/** What is wrong with a URL that must use one of two schemes, or null. */
function urlProblem(url: string, schemes: [string, string], example: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `expected a URL (${example})`;
  }
  const [one, other] = schemes;
  if (u.protocol === `${one}:` || u.protocol === `${other}:`) return null;
  return `expected a${/^[aeiouh]/.test(one) ? 'n' : ''} ${one} or ${other} URL, got ${u.protocol}`;
}

function httpUrlProblem(url: string): string | null {
  return urlProblem(url, ['http', 'https'], 'http:// or https://');
}

/** What the schema cannot say about one sink that passed it. */
function sinkProblems(cfg: SinkConfig, at: string): OutputsProblem[] {
  const out: OutputsProblem[] = [];
  const check = (key: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      out.push({ pointer: `${at}/${key}`, message: (err as Error).message });
    }
  };
  const readable = (key: string, file: string | undefined): void => {
    if (file !== undefined) check(key, () => accessSync(file, constants.R_OK));
  };
  if (cfg.min_priority !== undefined) check('min_priority', () => parsePriority(cfg.min_priority!));
  switch (cfg.type) {
    case 'slack': {
      const bad = httpUrlProblem(cfg.webhook_url);
      if (bad) out.push({ pointer: `${at}/webhook_url`, message: bad });
      break;
    }
    case 'email':
      if (cfg.immediate_priority !== undefined)
        check('immediate_priority', () => parsePriority(cfg.immediate_priority!));
      readable('ca_file', cfg.ca_file);
      break;
    case 'syslog':
      check('facility', () => parseFacility(cfg.facility));
      readable('ca_file', cfg.ca_file);
      readable('cert_file', cfg.cert_file);
      readable('key_file', cfg.key_file);
      break;
    case 'http': {
      const bad = httpUrlProblem(cfg.url);
      if (bad) out.push({ pointer: `${at}/url`, message: bad });
      if (cfg.format === 'splunk-hec' && !cfg.token)
        out.push({ pointer: `${at}/token`, message: 'required for format splunk-hec' });
      if (cfg.body !== undefined && !['webhook', 'ocsf'].includes(cfg.format ?? 'webhook'))
        out.push({ pointer: `${at}/body`, message: 'only for format webhook or ocsf' });
      if (cfg.transform !== undefined && (cfg.format === 'otlp' || cfg.format === 'ocsf'))
        out.push({
          pointer: `${at}/transform`,
          message: `not with format ${cfg.format} (its shape is fixed)`,
        });
      if (cfg.transform !== undefined) {
        check('transform', () => {
          try {
            compileJsonata(cfg.transform!);
          } catch (err) {
            throw new Error(`not valid JSONata: ${(err as Error).message}`, { cause: err });
          }
        });
      }
      readable('ca_file', cfg.ca_file);
      break;
    }
    case 'nats':
      out.push(...natsProblems(cfg, at));
      for (const key of ['ca_file', 'cert_file', 'key_file', 'nkey_seed_file', 'creds_file'] as const)
        readable(key, cfg[key]);
      break;
  }
  return out;
}

/** Server URLs, one way to authenticate, a stream name NATS accepts. */
function natsProblems(cfg: NatsSinkConfig, at: string): OutputsProblem[] {
  const out: OutputsProblem[] = [];
  cfg.servers.forEach((url, i) => {
    const bad = natsUrlProblem(url);
    if (bad) out.push({ pointer: `${at}/servers/${i}`, message: bad });
  });
  const ways = (['token', 'user', 'nkey_seed', 'nkey_seed_file', 'creds_file'] as const).filter(
    (k) => cfg[k] !== undefined,
  );
  if (ways.length > 1)
    out.push({
      pointer: `${at}/${ways[1]}`,
      message: `one way to authenticate: ${ways.join(' and ')} given`,
    });
  if (cfg.password !== undefined && cfg.user === undefined)
    out.push({ pointer: `${at}/password`, message: 'needs user' });
  if ((cfg.cert_file === undefined) !== (cfg.key_file === undefined))
    out.push({
      pointer: `${at}/${cfg.cert_file ? 'key_file' : 'cert_file'}`,
      message: 'cert_file and key_file go together',
    });
  cfg.events?.types?.forEach((t, i) => {
    if (canonicalEventType(t) === undefined)
      out.push({ pointer: `${at}/events/types/${i}`, message: `unknown event type "${t}"` });
  });
  if (cfg.stream !== undefined && /[.*>\s/\\]/.test(cfg.stream))
    out.push({
      pointer: `${at}/stream`,
      message: 'a stream name has no ".", "*", ">", "/", "\\" or whitespace',
    });
  return out;
}

/** What is wrong with a NATS server URL (`vigil run --nats` checks its argument with it too). */
export function natsUrlProblem(url: string): string | null {
  return urlProblem(url, ['nats', 'tls'], 'nats://HOST:PORT or tls://HOST:PORT');
}

/**
 * The name each sink's delivery is recorded under in the outbox: its `name`, else its type, with
 * -2, -3 … when that is taken. An explicit name already taken is a duplicate (null).
 */
export function sinkNames(sinks: readonly Pick<SinkConfig, 'type' | 'name'>[]): (string | null)[] {
  const taken = new Set<string>();
  return sinks.map((s) => {
    let name = s.name ?? s.type;
    if (s.name === undefined) for (let n = 2; taken.has(name); n++) name = `${s.type}-${n}`;
    else if (taken.has(name)) return null;
    taken.add(name);
    return name;
  });
}

/** Every problem in an `outputs:` section (empty when it is fine). Pointers are below `outputs`. */
export function outputsProblems(value: unknown): OutputsProblem[] {
  const problems: OutputsProblem[] = [];
  if (!validateOutputs(value)) problems.push(...(validateOutputs.errors ?? []).map((e) => fromAjv(e, '')));
  const sinks = (value as { sinks?: unknown } | null)?.sinks;
  if (!Array.isArray(sinks)) return problems;
  sinks.forEach((sink: SinkConfig, i) => {
    const at = `/sinks/${i}`;
    const validate =
      sink !== null && typeof sink === 'object' && Object.hasOwn(validateSink, sink.type)
        ? validateSink[sink.type]
        : undefined;
    if (!validate) return; // not a mapping, or no known type: reported above
    if (!validate(sink)) {
      problems.push(...(validate.errors ?? []).map((e) => fromAjv(e, at)));
      return;
    }
    problems.push(...sinkProblems(sink, at));
  });
  // Names depend only on type and name, so duplicates are found even beside other problems.
  const named = sinks.map((s: Partial<SinkConfig> | null) => ({
    type: String(s?.type) as SinkConfig['type'],
    name: typeof s?.name === 'string' ? s.name : undefined,
  }));
  sinkNames(named).forEach((name, i) => {
    if (name === null)
      problems.push({ pointer: `/sinks/${i}/name`, message: `duplicate sink name "${named[i].name}"` });
  });
  return problems;
}

/** `/sinks/0/webhook_url` → `outputs.sinks[0].webhook_url` */
export function outputsKey(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, k) => (/^\d+$/.test(k) ? `${acc}[${k}]` : `${acc}.${k}`), 'outputs');
}

/** Throws OutputConfigError naming every bad key. */
export function assertOutputsConfig(value: unknown): asserts value is OutputsConfig {
  const problems = outputsProblems(value);
  if (problems.length > 0)
    throw new OutputConfigError(problems.map((p) => `${outputsKey(p.pointer)}: ${p.message}`).join('\n'));
}
