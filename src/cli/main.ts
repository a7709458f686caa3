/** The `vigil` command: parses arguments and hands each subcommand to its module. */
export async function main(argv: string[]): Promise<void> {
  process.stderr.write(`vigil: no commands yet (${argv.join(' ')})\n`);
  process.exitCode = 2;
}
