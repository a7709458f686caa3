/** Runs the `vigil` CLI as a child: the compiled one under `make test`, through tsx in development. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../src/config/paths.js';

export function vigilCommand(args: string[]): [string, string[]] {
  const root = packageRoot();
  if (fileURLToPath(import.meta.url).includes('/dist/')) {
    return [process.execPath, [join(root, 'bin', 'vigil.js'), ...args]];
  }
  const main = join(root, 'src', 'cli', 'main.ts');
  const script = `import(${JSON.stringify(main)}).then((m) => m.main(${JSON.stringify(args)}))`;
  return [process.execPath, ['--import', 'tsx', '-e', script]];
}
