/**
 * What `outputs:` may hold: the one definition of every outputs key (a JSON Schema checked with
 * ajv), plus the checks a schema cannot express (priority names, syslog facility, URLs, JSONata,
 * readable certificate files, unique sink names). The config loader runs it when vigil.yaml is
 * read (each problem then gets the file's line and column) and openOutputs runs it again for
 * callers that build an OutputsConfig themselves, so a bad section fails before any alert flows.
 * Messages never quote a value that may be a secret.
 */
import { accessSync, constants } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import jsonata from 'jsonata';
import type { OutputsConfig, SinkConfig } from './config.js';
import { OutputConfigError, parsePriority } from './output.js';
import { parseFacility } from './syslog-format.js';

export interface OutputsProblem {
  /** JSON pointer below `outputs` (`/sinks/0/webhook_url`). */
  pointer: string;
  message: string;
  /** The problem is the key itself (unknown), not its value. */
  isKey?: boolean;
}

const str = { type: 'string' } as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;
const bool = { type: 'boolean' } as const;
const count = { type: 'integer', minimum: 1 } as const;
const zeroOrMore = { type: 'integer', minimum: 0 } as const;
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const oneOf = (values: string[]) => ({ type: 'string', enum: values }) as const;
const mapping = (properties: Record<string, object>, required: string[] = []) =>
  ({ type: 'object', additionalProperties: false, properties, required }) as const;

export const SINK_TYPES = ['stdout', 'file', 'slack', 'email', 'syslog', 'http'] as const;

/** Keys every sink takes (docs/outputs.md "Options every sink takes"). */
const common = {
  type: str,
  name: nonEmpty,
  min_priority: nonEmpty,
  batch: mapping({ max_size: count, max_wait_ms: zeroOrMore }),
  retry: mapping({ initial_ms: count, max_ms: count, max_attempts: zeroOrMore }),
  rate_limit: mapping({ max: zeroOrMore, window_ms: count }, ['max']),
  dedup_window_ms: zeroOrMore,
  timeout_ms: count,
  queue_size: count,
  durable: bool,
};
const tlsClient = { ca_file: nonEmpty, reject_unauthorized: bool };

const sinkSchemas: Record<SinkConfig['type'], object> = {
  stdout: mapping({ ...common, format: oneOf(['auto', 'json', 'text']), color: bool }),
  file: mapping({ ...common, path: nonEmpty, max_bytes: count, keep: count }, ['path']),
  slack: mapping(
    { ...common, webhook_url: nonEmpty, group_above: zeroOrMore, username: str, icon_emoji: str },
    ['webhook_url'],
  ),
  email: mapping(
    {
      ...common,
      ...tlsClient,
      host: nonEmpty,
      port,
      tls: oneOf(['starttls', 'implicit', 'none']),
      user: str,
      password: str,
      from: nonEmpty,
      to: { type: 'array', items: nonEmpty, minItems: 1 },
      immediate_priority: nonEmpty,
      subject_prefix: str,
    },
    ['host', 'from', 'to'],
  ),
  syslog: mapping(
    {
      ...common,
      ...tlsClient,
      host: nonEmpty,
      port,
      protocol: oneOf(['udp', 'tcp', 'tls']),
      format: oneOf(['json', 'cef']),
      facility: {}, // a name or a number: parseFacility says which
      app_name: nonEmpty,
      hostname: nonEmpty,
      cert_file: nonEmpty,
      key_file: nonEmpty,
      max_message_bytes: count,
    },
    ['host'],
  ),
  http: mapping(
    {
      ...common,
      ...tlsClient,
      format: oneOf(['webhook', 'splunk-hec', 'elastic-bulk', 'falco']),
      url: nonEmpty,
      headers: { type: 'object', additionalProperties: str },
      token: str,
      username: str,
      password: str,
      api_key: str,
      index: nonEmpty,
      sourcetype: nonEmpty,
      transform: nonEmpty,
    },
    ['url'],
  ),
};

const outputsSchema = mapping({
  store: mapping({
    path: nonEmpty,
    enabled: bool,
    synchronous: oneOf(['normal', 'full']),
    retention: mapping({ max_age_days: zeroOrMore, max_size_mb: zeroOrMore, interval_ms: count }),
  }),
  // Each sink is checked against its type's schema below, so errors name the sink's own keys.
  sinks: {
    type: 'array',
    items: { type: 'object', required: ['type'], properties: { type: oneOf([...SINK_TYPES]) } },
  },
  commit_batch: count,
  close_timeout_ms: zeroOrMore,
});

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

function httpUrlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'expected a URL (http:// or https://)';
  }
  return u.protocol === 'http:' || u.protocol === 'https:'
    ? null
    : `expected an http or https URL, got ${u.protocol}`;
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
      if (cfg.transform !== undefined) {
        check('transform', () => {
          try {
            jsonata(cfg.transform!);
          } catch (err) {
            throw new Error(`not valid JSONata: ${(err as Error).message}`, { cause: err });
          }
        });
      }
      readable('ca_file', cfg.ca_file);
      break;
    }
  }
  return out;
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
