/**
 * The Engine swaps whole rulesets: a good reload (explicit, SIGHUP or a file
 * change) replaces the rules; a bad one keeps the running rules and says why.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import { RuleReloader } from '../../src/engine/reload.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import { RulesetLoadError } from '../../src/engine/rules/diagnostics.js';

const ruleFor = (name: string): string =>
  [
    `- rule: Ran ${name}`,
    '  desc: d',
    `  condition: evt.type = execve and proc.name = ${name}`,
    '  output: ran %proc.name',
    '  priority: INFO',
  ].join('\n') + '\n';

const exec = (name: string) =>
  sampleEvent({ type: 'execve', proc: { exe: `/usr/bin/${name}`, args: [name] } });

function setup(): { dir: string; file: string; engine: Engine; reloader: RuleReloader } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-reload-'));
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, ruleFor('ls'));
  const engine = new Engine(loadRuleset([file]));
  return { dir, file, engine, reloader: new RuleReloader(engine, [file], 'first', 20) };
}

/** Keeps the event loop alive while a test waits for a signal or a file event (no deadline asserted). */
async function waitFor<T>(p: Promise<T>): Promise<T> {
  const keepAlive = setInterval(() => {}, 1000);
  try {
    return await p;
  } finally {
    clearInterval(keepAlive);
  }
}

const names = (engine: Engine, n: string): string[] => engine.evaluate(exec(n)).map((r) => r.name);

describe('Engine and reload', () => {
  it('evaluates and reports the event types the rules need', () => {
    const { engine } = setup();
    assert.deepEqual(names(engine, 'ls'), ['Ran ls']);
    assert.deepEqual([...engine.eventTypes()], ['execve']);
  });

  it('a good reload swaps the whole ruleset', () => {
    const { file, engine, reloader } = setup();
    const before = engine.ruleset;
    writeFileSync(file, ruleFor('id'));
    assert.equal(reloader.reload(), true);
    assert.notEqual(engine.ruleset, before);
    assert.equal(engine.reloads, 1);
    assert.deepEqual(names(engine, 'ls'), []);
    assert.deepEqual(names(engine, 'id'), ['Ran id']);
  });

  it('a bad reload keeps the running rules and reports why', () => {
    const { file, engine, reloader } = setup();
    const before = engine.ruleset;
    const errors: Error[] = [];
    reloader.on('error', (e) => errors.push(e));
    writeFileSync(file, ruleFor('id').replace('proc.name', 'proc.nmae'));
    assert.equal(reloader.reload(), false);
    assert.equal(engine.ruleset, before);
    assert.deepEqual(names(engine, 'ls'), ['Ran ls']);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof RulesetLoadError);
    assert.equal(errors[0].message, `${file}:3:36: rule 'Ran id': unknown field 'proc.nmae'`);
  });

  it('SIGHUP reloads', async () => {
    const { file, engine, reloader } = setup();
    reloader.onSighup();
    try {
      writeFileSync(file, ruleFor('id'));
      const reloaded = once(reloader, 'reload');
      process.kill(process.pid, 'SIGHUP');
      await waitFor(reloaded);
      assert.deepEqual(names(engine, 'id'), ['Ran id']);
    } finally {
      reloader.close();
    }
  });

  it('a rule file replaced by an editor (write then rename) reloads', async () => {
    const { dir, file, engine, reloader } = setup();
    reloader.watch();
    try {
      const reloaded = once(reloader, 'reload');
      const tmp = join(dir, '.rules.yaml.swp');
      writeFileSync(tmp, ruleFor('id'));
      renameSync(tmp, file);
      await waitFor(reloaded);
      assert.deepEqual(names(engine, 'id'), ['Ran id']);
      // A broken save afterwards keeps the good rules.
      const failed = once(reloader, 'error');
      writeFileSync(file, '- rule: [\n');
      await waitFor(failed);
      assert.deepEqual(names(engine, 'id'), ['Ran id']);
    } finally {
      reloader.close();
    }
  });
});
