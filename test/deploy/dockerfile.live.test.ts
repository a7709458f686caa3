/**
 * The Dockerfile's COPY sources, checked statically (no container engine on these
 * machines): each exists in the build context, or as `make` leaves it in the build
 * stage, which is this repository after `make` (so it needs the build: dist/, the BPF objects).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, basename } from 'node:path';
import { DockerfileParser, type Copy, type Instruction } from 'dockerfile-ast';
import { repo } from './support.js';

const dockerfile = DockerfileParser.parse(readFileSync(repo('Dockerfile'), 'utf8'));
const BUILD_ROOT = '/src';

const argsOf = (ins: Instruction): string[] => ins.getArguments().map((a) => a.getValue());

/** A source path with at most one `*` in its last component exists (at least one match). */
function existsGlob(path: string): boolean {
  const name = basename(path);
  if (!name.includes('*')) return existsSync(path);
  const [pre, post] = name.split('*');
  const dir = dirname(path);
  return existsSync(dir) && readdirSync(dir).some((f) => f.startsWith(pre) && f.endsWith(post));
}

test('every COPY source exists: build context files, and what `make` produces for the runtime stage', () => {
  const copies = dockerfile.getInstructions().filter((i) => i.getKeyword() === 'COPY') as Copy[];
  assert.ok(copies.length >= 8);
  const ignored = readFileSync(repo('.dockerignore'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  for (const copy of copies) {
    const args = argsOf(copy).filter((a) => !a.startsWith('--'));
    const sources = args.slice(0, -1);
    const from = copy.getFromFlag()?.getValue();
    for (const src of sources) {
      if (from === 'build') {
        assert.ok(src.startsWith(BUILD_ROOT + '/'), `${src} is under ${BUILD_ROOT}`);
        const local = repo(src.slice(BUILD_ROOT.length + 1));
        assert.ok(existsGlob(local), `COPY --from=build ${src}: ${local} exists after make`);
      } else {
        assert.equal(from, undefined, 'only the build stage is copied from');
        assert.ok(existsSync(repo(src)), `COPY ${src} exists in the build context`);
        assert.ok(!ignored.includes(src), `${src} is not excluded by .dockerignore`);
      }
    }
  }
  // Both BPF objects the runtime loads match the glob it copies.
  for (const obj of ['sensors.bpf.o', 'doctor.bpf.o']) assert.ok(existsSync(repo('build', 'bpf', obj)), obj);
});
