/**
 * The one definition of every key under `outputs:`, as JSON Schema: the section itself, and one
 * schema per sink type (so errors name the sink's own keys). config-check.ts runs them with ajv.
 */
import type { SinkConfig } from './config.js';

const str = { type: 'string' } as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;
const bool = { type: 'boolean' } as const;
const count = { type: 'integer', minimum: 1 } as const;
const zeroOrMore = { type: 'integer', minimum: 0 } as const;
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const oneOf = (values: string[]) => ({ type: 'string', enum: values }) as const;
const mapping = (properties: Record<string, object>, required: string[] = []) =>
  ({ type: 'object', additionalProperties: false, properties, required }) as const;

export const SINK_TYPES = ['stdout', 'file', 'slack', 'email', 'syslog', 'http', 'nats'] as const;

/** Keys every sink takes (docs/outputs.md "Options every sink takes"). */
const common = {
  type: str,
  name: nonEmpty,
  min_priority: nonEmpty,
  batch: mapping({ max_size: count, max_wait_ms: zeroOrMore }),
  retry: mapping({ initial_ms: count, max_ms: count, max_attempts: zeroOrMore }),
  rate_limit: mapping({ max: zeroOrMore, window_ms: count }, ['max']),
  dedup_window_ms: zeroOrMore,
  send_interval_ms: zeroOrMore,
  timeout_ms: count,
  queue_size: count,
  durable: bool,
};
const tlsClient = { ca_file: nonEmpty, reject_unauthorized: bool };

export const sinkSchemas: Record<SinkConfig['type'], object> = {
  stdout: mapping({ ...common, format: oneOf(['auto', 'json', 'text']), color: bool }),
  file: mapping(
    { ...common, path: nonEmpty, max_bytes: count, keep: count, format: oneOf(['json', 'ocsf']) },
    ['path'],
  ),
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
      format: oneOf(['webhook', 'splunk-hec', 'elastic-bulk', 'falco', 'otlp', 'ocsf']),
      body: oneOf(['array', 'object']),
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
  nats: mapping(
    {
      ...common,
      servers: { type: 'array', items: nonEmpty, minItems: 1 },
      token: nonEmpty,
      user: nonEmpty,
      password: str,
      nkey_seed: nonEmpty,
      nkey_seed_file: nonEmpty,
      creds_file: nonEmpty,
      ca_file: nonEmpty,
      cert_file: nonEmpty,
      key_file: nonEmpty,
      connection_name: nonEmpty,
      stream: nonEmpty,
      create_stream: bool,
      replicas: { type: 'integer', minimum: 1, maximum: 5 },
      duplicate_window_ms: { type: 'integer', minimum: 120_000 },
      events: mapping({
        enabled: bool,
        types: { type: 'array', items: nonEmpty, minItems: 1 },
        sample: count,
        queue_size: count,
      }),
    },
    ['servers'],
  ),
};

export const outputsSchema = mapping({
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
  // What alerts carry beyond a rule's output: env true (every variable) or a list of names.
  alert_fields: mapping({ env: { oneOf: [bool, { type: 'array', items: nonEmpty }] } }),
});
