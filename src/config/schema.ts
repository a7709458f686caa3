/**
 * The configuration file's schema (docs/config.md documents every key). Defaults
 * live here, in the schema, so that the file, the docs and `defaultConfig()` can
 * never disagree: ajv fills them in while validating.
 *
 * Keys are snake_case, as in Falco's falco.yaml. `expected` is vigil's own
 * annotation: the words an error message uses for what a value should look like.
 */

import { PRIORITIES } from '../event/alert.js';
import type { OutputsConfig } from '../outputs/index.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface VigilConfig {
  /** Overrides the host name in every alert; empty: $VIGIL_NODE_NAME, then the kernel's host name. */
  hostname: string;
  rules: {
    /** Rule files or directories of *.yaml, loaded in order; empty: the bundled rules/. */
    paths: string[];
    /** Reload when a rule file changes (as SIGHUP does). */
    watch: boolean;
  };
  sensors: {
    ring_buffer_bytes: number;
    process_table_size: number;
    ancestor_depth: number;
    /** Bytes of an I/O call's data copied for evt.buffer (Falco's snaplen); 0 copies none. */
    snaplen: number;
    /** Events of these processes are dropped before the rules see them. */
    ignore: { exe: string[]; comm: string[] };
    /**
     * Watch init_module/finit_module where the kernel has no tracepoints for them (no
     * CONFIG_MODULES: the calls can only fail) through a program on every syscall's exit.
     */
    module_load_fallback: boolean;
  };
  engine: {
    /** Rules less severe than this are not loaded (Falco's `priority`). */
    min_priority: string;
    /** Rules converted from Sigma with a less trusted status are loaded disabled. */
    min_status: string;
    disabled_rules: string[];
    disabled_tags: string[];
    /** Seconds over which repeats of 'Agent tampering' by one process and call are counted. */
    tamper_repeat_interval: number;
    /**
     * Alerts of one rule by one user, program and container that go out per repeat_interval;
     * the rest are counted into one follow-up alert (0: every alert goes out).
     */
    repeat_burst: number;
    /** Seconds over which repeat_burst applies. */
    repeat_interval: number;
  };
  /**
   * The outputs section: its keys (snake_case too) are defined in src/outputs/config-schema.ts
   * and checked by src/outputs/config-check.ts, which load.ts runs on it.
   */
  outputs: OutputsConfig;
  enforcement: {
    enabled: boolean;
    /** Processes that no rule action ever touches. */
    allow: { exe: string[]; uid: number[]; container: string[] };
  };
  metrics: {
    enabled: boolean;
    /** host:port for /metrics, /status, /livez (= /healthz) and /readyz. */
    listen: string;
    /** Bearer token required on every request when not empty (use ${ENV:NAME}). */
    token: string;
  };
  logging: { level: LogLevel };
  /** Pod metadata from the kubelet's log directories (src/sensor/k8s-pods.ts); '' turns one off. */
  kubernetes: { pods_dir: string; containers_dir: string };
  /** Container metadata from the runtimes' sockets (src/sensor/runtime/). */
  containers: {
    /** Ask the runtimes at all (false: ids, type and the kubelet's pod directories only). */
    enabled: boolean;
    /** The sockets to ask; empty: the usual ones that exist (containerd, CRI-O, k3s, Docker, Podman). */
    runtimes: { type: 'cri' | 'docker'; socket: string }[];
    /** How long an event of a container whose lookup is running waits for it, ms (0: never). */
    metadata_wait_ms: number;
    /** Deadline of one call to a runtime, ms. */
    lookup_timeout_ms: number;
    /** Containers whose metadata is kept. */
    cache_size: number;
  };
}

const stringList = { type: 'array', items: { type: 'string', minLength: 1 }, default: [] } as const;

const strictObject = (properties: Record<string, unknown>) =>
  ({ type: 'object', additionalProperties: false, default: {}, properties }) as const;

export const configSchema = {
  $id: 'https://vigil.dev/schema/vigil.yaml.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    hostname: {
      type: 'string',
      default: '',
      expected: 'a host name (empty: $VIGIL_NODE_NAME or the host name)',
    },
    rules: strictObject({
      paths: { ...stringList, expected: 'a list of rule files or directories' },
      watch: { type: 'boolean', default: false },
    }),
    sensors: strictObject({
      ring_buffer_bytes: {
        type: 'integer',
        minimum: 65536,
        maximum: 1073741824,
        default: 16777216,
        expected: 'a power of two between 65536 and 1073741824 (bytes)',
      },
      process_table_size: { type: 'integer', minimum: 1024, maximum: 4194304, default: 65536 },
      ancestor_depth: { type: 'integer', minimum: 0, maximum: 64, default: 8 },
      snaplen: { type: 'integer', minimum: 0, maximum: 4096, default: 80 },
      ignore: strictObject({ exe: stringList, comm: stringList }),
      module_load_fallback: { type: 'boolean', default: false },
    }),
    engine: strictObject({
      min_priority: { type: 'string', enum: PRIORITIES, default: 'Debug' },
      min_status: {
        type: 'string',
        enum: ['stable', 'test', 'experimental', 'deprecated', 'unsupported'],
        default: 'test',
      },
      disabled_rules: stringList,
      disabled_tags: stringList,
      tamper_repeat_interval: { type: 'integer', minimum: 1, maximum: 3600, default: 60 },
      repeat_burst: { type: 'integer', minimum: 0, maximum: 100_000, default: 20 },
      repeat_interval: { type: 'integer', minimum: 1, maximum: 3600, default: 10 },
    }),
    outputs: { type: 'object', default: {} },
    enforcement: strictObject({
      enabled: { type: 'boolean', default: false },
      allow: strictObject({
        exe: { ...stringList, default: ['/sbin/init', '/usr/lib/systemd/systemd'] },
        uid: { type: 'array', items: { type: 'integer', minimum: 0 }, default: [] },
        container: stringList,
      }),
    }),
    metrics: strictObject({
      enabled: { type: 'boolean', default: true },
      listen: {
        type: 'string',
        pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^\\s:\\[\\]]+):[0-9]{1,5}$',
        default: '127.0.0.1:9476',
        expected: 'host:port, e.g. 127.0.0.1:9476 or [::1]:9476',
      },
      token: { type: 'string', default: '', expected: 'a bearer token, e.g. ${ENV:VIGIL_METRICS_TOKEN}' },
    }),
    logging: strictObject({
      level: { type: 'string', enum: LOG_LEVELS, default: 'info' },
    }),
    kubernetes: strictObject({
      pods_dir: {
        type: 'string',
        default: '/var/log/pods',
        expected: "the kubelet's pod log directory ('' for none)",
      },
      containers_dir: {
        type: 'string',
        default: '/var/log/containers',
        expected: "the kubelet's container log links ('' for none)",
      },
    }),
    containers: strictObject({
      enabled: { type: 'boolean', default: true },
      runtimes: {
        type: 'array',
        default: [],
        expected: 'a list of {type: cri | docker, socket: /path/to/socket}',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'socket'],
          properties: {
            type: { type: 'string', enum: ['cri', 'docker'] },
            socket: { type: 'string', pattern: '^/', expected: 'an absolute path to a unix socket' },
          },
        },
      },
      metadata_wait_ms: { type: 'integer', minimum: 0, maximum: 5000, default: 50 },
      lookup_timeout_ms: { type: 'integer', minimum: 50, maximum: 60000, default: 2000 },
      cache_size: { type: 'integer', minimum: 64, maximum: 1048576, default: 4096 },
    }),
  },
} as const;
