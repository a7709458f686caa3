/**
 * The ruleset's literal prefilter (src/engine/literal-index.ts) never changes a verdict: on events
 * built from the rules' own literals (case flipped, cut short, with units outside ASCII), the
 * bundled rules plus SigmaHQ's process_creation rules give exactly what a plain scan of every rule
 * gives. Also: the automaton, the literals a condition requires, and a reload rebuilding it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Expr } from '../../src/engine/condition/ast.js';
import { parseCondition } from '../../src/engine/condition/parse.js';
import { requiredLiteralSet } from '../../src/engine/condition/regex-literal-set.js';
import { compileRegex } from '../../src/engine/condition/regex.js';
import { Engine } from '../../src/engine/engine.js';
import { LiteralAutomaton } from '../../src/engine/literal-automaton.js';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import type { CompiledRule } from '../../src/engine/rules/compile-rules.js';
import { literalNeed } from '../../src/engine/rules/literal-need.js';
import type { Ruleset } from '../../src/engine/ruleset.js';
import type { VigilEvent } from '../../src/event/types.js';
import { SIGMA_RULES, sigmaRulesMissing } from '../support/sigma.js';

/** A small deterministic generator (mulberry32): the same events on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('LiteralAutomaton', () => {
  it('finds every literal occurring in a text, overlapping ones and suffixes of others included', () => {
    const lits = ['he', 'she', 'his', 'hers', 'e', 'ushers!'];
    const a = new LiteralAutomaton(lits);
    const found = new Set<string>();
    assert.equal(
      a.scan('ushers', (i) => found.add(lits[i])),
      true,
    );
    assert.deepEqual([...found].sort(), ['e', 'he', 'hers', 'she']);
  });

  it('agrees with String.includes on random texts', () => {
    const rnd = random(7);
    const word = (n: number) =>
      Array.from({ length: 1 + Math.floor(rnd() * n) }, () => 'abc/-. '[Math.floor(rnd() * 7)]).join('');
    const lits = [...new Set(Array.from({ length: 40 }, () => word(5)))];
    const a = new LiteralAutomaton(lits);
    for (let k = 0; k < 500; k++) {
      const text = word(30);
      const found = new Set<number>();
      a.scan(text, (i) => found.add(i));
      const want = lits.flatMap((l, i) => (text.includes(l) ? [i] : []));
      assert.deepEqual(
        [...found].sort((x, y) => x - y),
        want,
        text,
      );
    }
  });

  it('stops at a unit outside ASCII and says so', () => {
    const a = new LiteralAutomaton(['abc']);
    assert.equal(
      a.scan('xx\u212a abc', () => {}),
      false,
    );
    assert.throws(() => new LiteralAutomaton(['caf\u00e9']), /not ASCII/);
  });
});

describe('requiredLiteralSet', () => {
  const cases: [string, string[] | undefined][] = [
    ['(?s)/(tmp|var/tmp|dev/shm)/(.*/)?[.][^/]+(/.*)?', ['/tmp/', '/var/tmp/', '/dev/shm/']],
    ['[[].+[]]', ['[']],
    ['(?s:.*)-D(?s:.*)', ['-D']],
    ['ab*c', ['a']],
    ['x{2}yz', ['yz']],
    ['a(b|c)?dd', ['dd']],
    ['\\.foo\\d+bar', ['.foo']],
    ['a|b', undefined],
    ['(?i)abc', undefined],
    ['(a(b|c))', undefined],
  ];
  for (const [p, want] of cases) {
    it(`reads ${p}`, () => assert.deepEqual(requiredLiteralSet(p), want));
  }

  it('names a literal every match holds', () => {
    for (const [p, subject] of [
      ['(?s)/(tmp|var/tmp|dev/shm)/(.*/)?[.][^/]+(/.*)?', '/var/tmp/a/.h/b'],
      ['[[].+[]]', '[kworker/0:1]'],
      ['a(b|c)?dd', 'add'],
    ] as const) {
      assert.ok(compileRegex(p)(subject), `${p} matches ${subject}`);
      assert.ok(requiredLiteralSet(p)!.some((l) => subject.includes(l)));
    }
  });
});

describe('literalNeed', () => {
  const ctx = { lists: new Map([['shells', ['bash', 'sh']]]), macros: new Map<string, Expr>() };
  const need = (cond: string) => {
    const n = literalNeed(parseCondition(cond, { text: cond }), ctx);
    return n && Object.fromEntries([...n].map(([k, v]) => [k, [...v.literals].sort()]));
  };

  it('takes the literals of one conjunct and the union of every alternative', () => {
    assert.deepEqual(need('proc.exeline icontains "Foo" and proc.cmdline contains ab'), {
      'proc.exeline[]': ['foo'],
    });
    assert.deepEqual(need('proc.exepath endswith /x or fd.name iglob "*/.SSH/*"'), {
      'proc.exepath[]': ['/x'],
      'fd.name[]': ['/.ssh/'],
    });
    assert.deepEqual(need('proc.name in (shells, zsh)'), { 'proc.name[]': ['bash', 'sh', 'zsh'] });
  });

  it('requires nothing through `not`, a branch without literals, or a few-valued field', () => {
    assert.equal(need('not proc.cmdline contains x'), undefined);
    assert.equal(need('proc.cmdline contains x or proc.pid = 1'), undefined);
    assert.equal(need('evt.res = SUCCESS'), undefined);
    assert.equal(need('proc.cmdline contains ""'), undefined);
    assert.equal(need('proc.cmdline contains "caf\u00e9"'), undefined);
    assert.equal(need('tolower(proc.cmdline) contains x'), undefined);
  });
});

/** Every literal a condition compares with, macros opened. */
function valuesOf(e: Expr, macros: ReadonlyMap<string, Expr>, out: Set<string>, depth = 0): Set<string> {
  if (depth > 64) return out;
  switch (e.kind) {
    case 'and':
    case 'or':
      for (const c of e.children) valuesOf(c, macros, out, depth + 1);
      break;
    case 'not':
      valuesOf(e.child, macros, out, depth + 1);
      break;
    case 'macro': {
      const body = macros.get(e.name);
      if (body) valuesOf(body, macros, out, depth + 1);
      break;
    }
    case 'check': {
      const r = e.right;
      const items = r?.kind === 'list' ? r.items : r?.kind === 'value' ? [r] : [];
      for (const v of items) out.add(v.value.replace(/[*?]|\(\?s:\.\*\)/g, ''));
    }
  }
  return out;
}

/** A value the rule's literal may or may not still be in: case flipped, cut, or with a non-ASCII unit. */
function variant(s: string, rnd: () => number): string {
  let out = [...s].map((c) => (rnd() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
  const r = rnd();
  if (r < 0.15 && out.length > 1) out = out.slice(0, -1);
  else if (r < 0.25) out = out.replace(/k/i, '\u212a');
  else if (r < 0.3) out = `\u00e9${out}`;
  return out;
}

function eventsFor(rules: readonly CompiledRule[]): VigilEvent[] {
  const rnd = random(17);
  const evs: VigilEvent[] = [];
  for (const rule of rules) {
    if (!rule.ast) continue;
    const vals = [...valuesOf(rule.ast.expr, rule.ast.ctx.macros, new Set())].filter((v) => v !== '');
    for (let k = 0; k < 4; k++) {
      const pick = () => variant(vals[Math.floor(rnd() * vals.length)] ?? 'x', rnd);
      const exe = k === 0 ? `/usr/bin/${pick().replace(/^\//, '')}` : pick();
      const args = [exe, pick(), `${pick()} ${pick()}`, pick()];
      const proc = {
        exe,
        args,
        cwd: `/${pick()}`,
        env: k % 2 ? [`GLIBC_TUNABLES=${pick()}=${pick()}`, `LD_LIBRARY_PATH=/tmp/${pick()}`] : [],
        ancestors: [{ exe: pick(), cmdline: `${pick()} ${pick()}` }],
      };
      evs.push(sampleEvent({ type: 'execve', proc }));
      const name = `/${pick()}/${pick()}`;
      evs.push(
        sampleEvent({
          type: 'openat',
          ret: 3,
          rawargs: { flags: k % 2 ? 0o101 : 0 },
          fd: { num: 3, type: 'file', name },
          proc,
        }),
      );
    }
  }
  return evs;
}

function scan(rs: Ruleset, ev: VigilEvent): string[] {
  return rs.info.rules
    .filter((r) => r.enabled && (r.eventTypes === null || r.eventTypes.has(ev.type)) && r.test(ev))
    .map((r) => r.name);
}

describe('literal prefilter', () => {
  it('changes no verdict of the bundled and Sigma process_creation rules', (t) => {
    const paths = ['rules'];
    const missing = sigmaRulesMissing();
    if (missing === null) paths.push(join(SIGMA_RULES, 'linux', 'process_creation'));
    else t.diagnostic(`${missing}: bundled rules only`);
    const rs = loadRuleset(paths, 'all', { minStatus: 'unsupported' });
    const evs = eventsFor(rs.enabledRules);
    let matched = 0;
    for (const ev of evs) {
      const want = scan(rs, ev);
      if (want.length > 0) matched++;
      assert.deepEqual(
        rs.evaluate(ev).map((r) => r.name),
        want,
        JSON.stringify({ exe: ev.proc.exe, args: ev.proc.args, fd: ev.fd?.name }),
      );
    }
    assert.ok(matched >= 100, `only ${matched} of ${evs.length} events matched`);
    t.diagnostic(`${matched} of ${evs.length} events matched a rule`);
  });

  it('still runs a rule with no required literal, and a reload rebuilds the literals', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-literals-'));
    try {
      const file = join(dir, 'r.yaml');
      const write = (needle: string) =>
        writeFileSync(
          file,
          [
            '- rule: needle',
            '  desc: d',
            `  condition: evt.type = execve and proc.cmdline icontains "${needle}"`,
            '  output: o',
            '  priority: WARNING',
            '- rule: not a needle',
            '  desc: d',
            '  condition: evt.type = execve and not proc.cmdline contains zzz',
            '  output: o',
            '  priority: WARNING',
            '',
          ].join('\n'),
        );
      const exec = (cmd: string) => sampleEvent({ type: 'execve', proc: { args: cmd.split(' ') } });
      const names = (e: Engine, cmd: string) => e.evaluate(exec(cmd)).map((r) => r.name);
      write('--Secret');
      const engine = new Engine(loadRuleset([file], 'all'));
      assert.deepEqual(names(engine, 'app --SECRET=1'), ['needle', 'not a needle']);
      assert.deepEqual(names(engine, 'app --public'), ['not a needle']);
      write('--public');
      engine.swap(loadRuleset([file], 'all'));
      assert.deepEqual(names(engine, 'app --SECRET=1'), ['not a needle']);
      assert.deepEqual(names(engine, 'app --Public'), ['needle', 'not a needle']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
