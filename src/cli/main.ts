/**
 * The `vigil` command (README.md, "The vigil command"). This file only parses
 * arguments; each subcommand lives in its own module under src/cli/ and is
 * loaded on demand, so `vigil rules check` never loads the BPF addon.
 *
 * A subcommand module exports `run(opts): Promise<number>`, the exit code.
 */
import { Command, Option } from 'commander';
import type { SigmaStatus } from '../engine/sigma/index.js';

type Runner<O> = (opts: O) => Promise<number>;

async function runModule<O>(load: () => Promise<{ run: Runner<O> }>, opts: O): Promise<void> {
  const mod = await load();
  process.exitCode = await mod.run(opts);
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** One option for every command that loads rules: run, replay, rules check. */
const minStatusOption = (): Option =>
  new Option(
    '--min-status <status>',
    'load Sigma rules less trusted than this disabled (default: test)',
  ).choices(['stable', 'test', 'experimental', 'deprecated', 'unsupported']);

export function buildProgram(): Command {
  const program = new Command('vigil')
    .description('Runtime security detection for Linux: eBPF sensors, Falco-compatible rules')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('run')
    .description('run the agent: sensors, rules, outputs (and enforcement with --enforce)')
    .option('--config <file>', 'configuration file (default /etc/vigil/vigil.yaml when present)')
    .option('--rules <path>', 'rule file or directory, repeatable (default: the bundled rules/)', collect)
    .option('--db <file>', 'SQLite alert store')
    .option('--enforce', 'carry out rule actions (kill, deny); without it they are reported as would-*')
    .option('--json', 'one alert per line as JSON on stdout')
    .addOption(minStatusOption())
    .option('--nats <url>', 'also publish alerts to NATS JetStream (stream VIGIL), repeatable', collect)
    .action((opts) => runModule(() => import('./run.js'), opts));

  program
    .command('events')
    .description('stream kernel events, no rules (for debugging and rule writing)')
    .option('--json', 'one event per line as JSON')
    .addOption(new Option('--types <list>', 'only these evt.type values (comma-separated)'))
    .action((opts) => runModule(() => import('./events.js'), opts));

  program
    .command('record <file>')
    .description('save live events as JSON lines for `vigil replay`')
    .addOption(new Option('--types <list>', 'only these evt.type values (comma-separated)'))
    .action((file: string, opts) => runModule(() => import('./record.js'), { ...opts, file }));

  program
    .command('replay <file>')
    .description('evaluate saved events offline (no root needed); alerts as JSON lines')
    .option('--rules <path>', 'rule file or directory, repeatable (default: the bundled rules/)', collect)
    .option('--config <file>', "the agent's configuration: its rules, engine and ignore settings, host name")
    .addOption(minStatusOption())
    .action((file: string, opts) => runModule(() => import('./replay.js'), { ...opts, file }));

  const rules = program.command('rules').description('check and test rule files');
  rules
    .command('check [paths...]')
    .description('validate rule files (Falco format or Sigma); exit 1 with file:line:col on error')
    .addOption(minStatusOption())
    .action((paths: string[], opts: { minStatus?: SigmaStatus }) =>
      runModule(() => import('./rules-check.js'), { paths, ...opts }),
    );
  rules
    .command('import-sigma <paths...>')
    .description('print Sigma rules as Falco-format YAML; on stderr, each rule not converted and why')
    .action((paths: string[]) => runModule(() => import('./rules-import-sigma.js'), { paths }));
  rules
    .command('test [paths...]')
    .description('run the test cases stored beside rule files')
    .action((paths: string[]) => runModule(() => import('./rules-test.js'), { paths }));

  program
    .command('alerts')
    .description('query stored alerts, as journalctl reads the journal')
    .option('--db <file>', 'SQLite alert store')
    .option('--since <time>', 'only alerts at or after this: 10m, 2h, 7d (ago), today, yesterday, or a date')
    .option('--until <time>', 'only alerts at or before this (the same forms as --since)')
    .option('--rule <pattern>', 'only rules named so, any case; * and ? are wildcards')
    .option('--priority <level>', 'only this priority or more severe')
    .option('--container <id>', 'only this container')
    .option('--where <jsonata>', 'a JSONata predicate over the alert JSON')
    .option('-n, --lines [N]', 'the newest N alerts (10 when N is left out), +N the oldest N, all')
    .option('-r, --reverse', 'newest first')
    .option('--count', 'print only the number of matching alerts')
    .option('-f, --follow', 'keep printing new alerts as they are stored (after the newest 10)')
    .option('--json', 'one alert per line as JSON, as stored')
    .option('--utc', 'table times in UTC (default: local time with its offset)')
    .action((opts) => runModule(() => import('./alerts.js'), opts));

  program
    .command('hub')
    .description("store the fleet's alerts from NATS JetStream; serve the web console and its API")
    .option('--listen <host:port>', 'console, API, /metrics and probes', '127.0.0.1:9480')
    .option('--nats <urls>', 'NATS servers, comma-separated', 'nats://127.0.0.1:4222')
    .option('--nats-creds <file>', 'NATS credentials file (JWT and NKEY seed)')
    .option('--nats-ca <file>', "CA bundle for the NATS servers' TLS certificates")
    .option('--stream <name>', 'the JetStream stream the agents publish to', 'VIGIL')
    .option('--durable <name>', 'durable consumer name; hubs sharing it split the alerts', 'vigil-hub')
    .option(
      '--db <db>',
      'postgres://... URL (or VIGIL_HUB_DB), or a SQLite file (default: hub.db in --state-dir)',
    )
    .option('--state-dir <dir>', 'SQLite store and the generated API token', '/var/lib/vigil/hub')
    .option('--token <token>', 'API token (or VIGIL_HUB_TOKEN; default: generated in --state-dir/hub.token)')
    .option('--retention-days <n>', 'delete alerts older than this; 0 keeps all', '30')
    .option('--ack-wait <seconds>', 'redelivery delay of an unacknowledged alert (new consumer only)', '30')
    .option('--replicas <n>', 'replicas of the stream when the hub creates it', '1')
    .option('--batch <n>', 'most alerts committed at once', '500')
    .action((opts) => runModule(() => import('./hub.js'), opts));

  program
    .command('doctor')
    .description('what this kernel supports, and so what will and will not run')
    .option('--config <file>', 'configuration file (its ring buffer size is checked)')
    .option('--json', 'machine-readable report')
    .action((opts) => runModule(() => import('./doctor.js'), opts));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    if (typeof code === 'number') {
      // commander already printed help or the usage error.
      process.exitCode = code;
      return;
    }
    process.stderr.write(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
