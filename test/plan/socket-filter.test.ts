/**
 * The socket prefilter never drops a socket(2) a loaded rule can match. Exhaustive: every domain
 * and base type the kernel judges, with each flag set and result, built as the decoder builds it
 * and evaluated by the compiled bundled rules; any that a rule matches passes the filter (the
 * kernel's decision as socketReported models it). Plus the analysis on small rule sets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledRulesDir } from '../../src/config/index.js';
import type { VigilEvent } from '../../src/event/types.js';
import { loadRuleset, loadRulesetFromSources } from '../../src/engine/load-ruleset.js';
import { sampleEvent } from '../../src/engine/rule-tests/sample-event.js';
import { renderSocketFamily, renderSocketType } from '../../src/sensor/flags.js';
import { deriveSocketFilter, formatSocketFilter } from '../../src/plan/socket-filter.js';
import { socketReported, SOCK_DOMAINS, type SocketFilterPlan } from '../../src/sensor/socket-filter-plan.js';

const AF_INET = 2;
const AF_PACKET = 17;
const SOCK_STREAM = 1;
const SOCK_RAW = 3;
const FLAG_SETS = [0, 0o4000, 0o2000000, 0o4000 | 0o2000000];

const bundled = loadRuleset([bundledRulesDir()], 'all');
const plan = deriveSocketFilter(bundled.enabledRules);

/** A socket event as the decoder builds it (src/sensor/decode/net.ts). */
function socketEvent(domain: number, type: number, ret: number): VigilEvent {
  const ev = sampleEvent({ type: 'socket', ret });
  ev.fd = { num: ret, type: domain === 1 ? 'unix' : 'ipv4', name: '' };
  ev.args = {
    domain: renderSocketFamily(domain),
    type: renderSocketType(type),
    proto: 0,
    res: ret >= 0 ? ret : 'EACCES',
  };
  ev.rawargs = { domain, type, proto: 0, fd: ret, res: ret };
  return ev;
}

test('the bundled rules leave the filter on: TCP sockets dropped, packet and raw ones reported', () => {
  assert.equal(plan.on, true, plan.off ?? '');
  assert.equal(socketReported(plan, AF_INET, SOCK_STREAM | 0o2000000), false);
  assert.equal(socketReported(plan, AF_PACKET, SOCK_STREAM), true);
  assert.equal(socketReported(plan, AF_INET, SOCK_RAW), true);
  // Not judged: unknown flag bits, domains past the map.
  assert.equal(socketReported(plan, AF_INET, SOCK_STREAM | 0x100), true);
  assert.equal(socketReported(plan, SOCK_DOMAINS, SOCK_STREAM), true);
  assert.match(formatSocketFilter(plan), /^on, \d+ rules: .*AF_PACKET any/);
});

test('exhaustive: no socket a bundled rule matches is filtered', () => {
  let matched = 0;
  for (let domain = 0; domain < SOCK_DOMAINS; domain++) {
    for (let base = 0; base < 16; base++) {
      for (const flags of FLAG_SETS) {
        for (const ret of [3, -13]) {
          const ev = socketEvent(domain, base | flags, ret);
          if (bundled.evaluate(ev).length === 0) continue;
          matched++;
          assert.ok(socketReported(plan, domain, base | flags), `${ev.args.domain} ${ev.args.type} filtered`);
        }
      }
    }
  }
  assert.ok(matched > 0, 'some socket matches a bundled rule');
});

function planOf(yaml: string): SocketFilterPlan {
  return deriveSocketFilter(loadRulesetFromSources([{ path: 'test.yaml', text: yaml }]).enabledRules);
}

const rule = (name: string, condition: string) =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: o\n  priority: WARNING\n`;

test('a rule on sockets with no domain or type constraint turns the filter off, and names itself', () => {
  const p = planOf(rule('Any socket', 'evt.type = socket and proc.name = nc'));
  assert.equal(p.on, false);
  assert.match(p.off!, /Any socket/);
  assert.ok(socketReported(p, AF_INET, SOCK_STREAM));
});

test('no rule on sockets: every socket the kernel judges is dropped', () => {
  const p = planOf(rule('Opens', 'evt.type = openat and fd.name = /etc/shadow'));
  assert.equal(p.on, true);
  assert.equal(p.rules, 0);
  assert.equal(socketReported(p, AF_INET, SOCK_STREAM), false);
});

test('domains and types, rendered and raw, with lists, and, or and not', () => {
  const p = planOf(
    rule('Raw', 'evt.type = socket and evt.arg.type startswith SOCK_RAW') +
      rule('Packet', 'evt.type = socket and evt.rawarg.domain = 17') +
      rule(
        'Netlink dgram',
        'evt.type = socket and evt.arg[domain] in (AF_NETLINK) and evt.arg.type = SOCK_DGRAM',
      ) +
      rule(
        'Unix',
        'evt.type = socket and (evt.arg.domain = AF_UNIX or evt.arg.domain = AF_VSOCK) and not proc.name = x',
      ),
  );
  assert.equal(p.on, true, p.off ?? '');
  assert.ok(socketReported(p, AF_INET, SOCK_RAW | 0o4000));
  assert.ok(socketReported(p, AF_PACKET, SOCK_STREAM));
  assert.ok(socketReported(p, 16, 2)); // AF_NETLINK SOCK_DGRAM
  assert.ok(socketReported(p, 16, SOCK_RAW)); // raw in any domain
  assert.ok(!socketReported(p, 16, 5)); // AF_NETLINK SOCK_SEQPACKET: `=` is the whole rendering
  assert.ok(socketReported(p, 1, SOCK_STREAM));
  assert.ok(socketReported(p, 40, SOCK_STREAM)); // AF_VSOCK
  assert.ok(!socketReported(p, AF_INET, SOCK_STREAM));
  assert.ok(!socketReported(p, 10, 2)); // AF_INET6 SOCK_DGRAM
});

test('arguments sockets do not have are undefined: such a check is false', () => {
  const p = planOf(
    rule('Path', 'evt.type = socket and evt.arg.path = /x') +
      rule('Raw', 'evt.type = socket and evt.rawarg.type = 3'),
  );
  assert.equal(p.on, true, p.off ?? '');
  assert.ok(!socketReported(p, AF_INET, SOCK_STREAM));
  assert.ok(socketReported(p, AF_INET, SOCK_RAW));
  // rawarg.type 3 is the plain type: SOCK_RAW|SOCK_CLOEXEC's raw value is another number, reported anyway.
  assert.ok(socketReported(p, AF_INET, SOCK_RAW | 0o2000000));
});
