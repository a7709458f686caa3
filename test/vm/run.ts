/**
 * Runs one command in a test VM, for people: prints the command's output and exits with its
 * status (124 on timeout, 125 when the guest never reported one, with the console shown).
 *
 *   node dist/test/vm/run.js [--kernel 6.1|6.12] [--timeout SECONDS] -- COMMAND [ARG]...
 */
import { parseArgs } from 'node:util';
import { runInVm } from './harness/vm.js';

const { values, positionals } = parseArgs({
  options: { kernel: { type: 'string', default: '6.12' }, timeout: { type: 'string', default: '300' } },
  allowPositionals: true,
});
if (positionals.length === 0) {
  process.stderr.write('usage: run.js [--kernel 6.1|6.12] [--timeout SECONDS] -- COMMAND [ARG]...\n');
  process.exit(2);
}
const result = await runInVm({
  kernel: values.kernel,
  command: positionals,
  timeoutMs: Number(values.timeout) * 1000,
  onStdout: (chunk) => process.stdout.write(chunk),
  onStderr: (chunk) => process.stderr.write(chunk),
  log: (line) => process.stderr.write(`vm: ${line}\n`),
});
process.stderr.write(`vm: ${result.kernel.release}: ${result.durationMs} ms, status ${result.status}\n`);
if (result.timedOut) process.stderr.write('vm: timed out, killed\n');
if (result.status === null) process.stderr.write(`vm: no status; console:\n${result.console}\n`);
process.exitCode = result.timedOut ? 124 : (result.status ?? 125);
