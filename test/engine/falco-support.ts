/**
 * What the tests of Falco's stable ruleset share: the ruleset (loaded once), the gate on its
 * presence, the tail most of its outputs share, and the container connection to the K8S API.
 */
import type { TestContext } from 'node:test';
import type { VigilEvent } from '../../src/event/types.js';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import type { DeepPartial } from '../../src/engine/rule-tests/sample-event.js';
import type { Ruleset } from '../../src/engine/ruleset.js';
import { FALCO_RULES, falcoRulesMissing } from '../support/falco.js';

const present = falcoRulesMissing() === null;

let cached: Ruleset | undefined;
export const ruleset = (): Ruleset => (cached ??= loadRuleset([FALCO_RULES], 'all'));

export function gate(t: TestContext): boolean {
  if (present) return true;
  t.skip(`${FALCO_RULES} is not on this machine`);
  return false;
}

export const fired = (ev: VigilEvent): string[] =>
  ruleset()
    .evaluate(ev)
    .map((r) => r.name);

/** The tail most stable-rule outputs share, spelled out (not derived from the event). */
export const tail = (t: {
  type: string;
  user: string;
  uid: number;
  loginuid?: number;
  proc: string;
  exepath: string;
  parent: string;
  cmd: string;
  tty?: number;
}): string =>
  `evt_type=${t.type} user=${t.user} user_uid=${t.uid} user_loginuid=${t.loginuid ?? -1} process=${t.proc} ` +
  `proc_exepath=${t.exepath} parent=${t.parent} command=${t.cmd} terminal=${t.tty ?? 0}`;

export const inContainer = { container_id: 'b1946ac92492' };
export const container = {
  id: 'b1946ac92492',
  name: 'web',
  image: 'nginx:1.25',
  image_repository: 'nginx',
  image_tag: '1.25',
};

export const k8sConnect = {
  type: 'connect',
  ret: 0,
  container,
  fd: {
    num: 3,
    type: 'ipv4',
    name: '172.17.0.2:40000->127.0.0.1:443',
    l4proto: 'tcp',
    lip: '172.17.0.2',
    lport: 40000,
    rip: '127.0.0.1',
    rport: 443,
    is_server: false,
    connected: true,
  },
  proc: {
    ...inContainer,
    exe: '/usr/bin/curl',
    args: ['curl', '-k', 'https://kubernetes.default/api'],
    ancestors: [{ exe: '/bin/sh' }],
  },
} satisfies DeepPartial<VigilEvent>;
