/**
 * The Dockerfile, checked statically (no container engine on these machines):
 * parsed with dockerfile-ast; stages, base images, packages, entrypoint. That
 * every COPY source exists after `make`: dockerfile.live.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { repo, yamlDocs } from './support.js';

const dockerfile = DockerfileParser.parse(readFileSync(repo('Dockerfile'), 'utf8'));

interface Stage {
  name: string | null;
  image: string | null;
  instructions: Instruction[];
}

function stages(): Stage[] {
  const froms = dockerfile.getFROMs();
  const all = dockerfile.getInstructions();
  return froms.map((from, i) => {
    const start = all.indexOf(from);
    const end = i + 1 < froms.length ? all.indexOf(froms[i + 1]) : all.length;
    return {
      name: from.getBuildStage(),
      image: from.getImageName(),
      instructions: all.slice(start + 1, end),
    };
  });
}

const text = (stage: Stage, keyword: string): string =>
  stage.instructions
    .filter((i) => i.getKeyword() === keyword)
    .map((i) => i.getArgumentsContent() ?? '')
    .join('\n');

test('two stages: build (Node + clang/libbpf toolchain) and a slim runtime', () => {
  const [build, runtime] = stages();
  assert.equal(stages().length, 2);
  assert.equal(build.name, 'build');
  assert.equal(build.image, 'node');
  assert.equal(runtime.name, 'runtime');
  assert.match(dockerfile.getFROMs()[1].getImageTag() ?? '', /-slim$/);
  const nodeArg = dockerfile.getInitialARGs().find((a) => a.getProperty()?.getName() === 'NODE_VERSION');
  const engines = JSON.parse(readFileSync(repo('package.json'), 'utf8')).engines.node as string;
  assert.equal(
    nodeArg?.getProperty()?.getValue(),
    /(\d+)/.exec(engines)?.[1],
    'NODE_VERSION is the engines major',
  );

  // The build stage installs the toolchain scripts/install-deps.sh installs (but the formatter).
  const deps = /PKGS=\(([^)]*)\)/
    .exec(readFileSync(repo('scripts', 'install-deps.sh'), 'utf8'))?.[1]
    .split(/\s+/);
  const buildApt = text(build, 'RUN');
  for (const pkg of ['clang', 'llvm', 'libbpf-dev', 'libelf-dev', 'bpftool', 'make', 'g++', 'pkg-config']) {
    assert.ok(deps?.includes(pkg), `${pkg} is in install-deps.sh`);
    assert.match(buildApt, new RegExp(`\\s${pkg.replace('+', '\\+')}\\s`), `build stage installs ${pkg}`);
  }
  assert.match(buildApt, /make bpf native ts/);
  assert.match(text(runtime, 'RUN'), /\slibbpf1\s/);
  assert.doesNotMatch(text(runtime, 'RUN'), /clang|libbpf-dev/, 'no toolchain in the runtime image');
});

test('.dockerignore keeps host build outputs out of the context (they are rebuilt for the image)', () => {
  const ignored = readFileSync(repo('.dockerignore'), 'utf8').split('\n');
  for (const p of ['node_modules', 'dist', 'build', 'native/build', '.git'])
    assert.ok(ignored.includes(p), p);
});

test('entrypoint runs bin/vigil.js; the default config path is the one the DaemonSet mounts', () => {
  const [, runtime] = stages();
  assert.equal(text(runtime, 'WORKDIR'), '/opt/vigil');
  assert.equal(text(runtime, 'ENTRYPOINT'), '["node", "--max-semi-space-size=2", "/opt/vigil/bin/vigil.js"]');
  assert.ok(existsSync(repo('bin', 'vigil.js')));
  assert.equal(text(runtime, 'USER'), 'root');
  const cmd = JSON.parse(text(runtime, 'CMD')) as string[];
  const configPath = cmd[cmd.indexOf('--config') + 1];
  const ds = yamlDocs(repo('deploy', 'kubernetes', 'daemonset.yaml'))[0] as {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  };
  const args = ds.spec.template.spec.containers[0].args;
  assert.equal(args[args.indexOf('--config') + 1], configPath);
  assert.match(
    text(runtime, 'RUN'),
    new RegExp(`mkdir -p ${dirname(configPath)} /etc/vigil/rules.d /var/lib/vigil`),
  );
});
