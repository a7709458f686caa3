/**
 * The `vigil` command (DESIGN.md, "The vigil command"). This file only parses
 * arguments; each subcommand lives in its own module under src/cli/ and is
 * loaded on demand, so `vigil rules check` never loads the BPF addon.
 *
 * A subcommand module exports `run(opts): Promise<number>`, the exit code.
 */
import { Command, Option } from 'commander';

type Runner<O> = (opts: O) => Promise<number>;

async function runModule<O>(load: () => Promise<{ run: Runner<O> }>, opts: O): Promise<void> {
  const mod = await load();
  process.exitCode = await mod.run(opts);
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

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
    .action((file: string, opts) => runModule(() => import('./replay.js'), { ...opts, file }));

  const rules = program.command('rules').description('check and test rule files');
  rules
    .command('check [paths...]')
    .description('validate rule files; exit 1 with file:line:col on error')
    .action((paths: string[]) => runModule(() => import('./rules-check.js'), { paths }));
  rules
    .command('test [paths...]')
    .description('run the test cases stored beside rule files')
    .action((paths: string[]) => runModule(() => import('./rules-test.js'), { paths }));

  program
    .command('alerts')
    .description('query stored alerts')
    .option('--db <file>', 'SQLite alert store')
    .option('--since <duration>', 'only alerts newer than this (e.g. 10m, 2h, 7d, or an ISO time)')
    .option('--rule <name>', 'only this rule')
    .option('--priority <level>', 'only this priority or more severe')
    .option('--container <id>', 'only this container')
    .option('--where <jsonata>', 'a JSONata predicate over the alert JSON')
    .option('--follow', 'keep printing new alerts as they are stored')
    .option('--json', 'one alert per line as JSON')
    .action((opts) => runModule(() => import('./alerts.js'), opts));

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
