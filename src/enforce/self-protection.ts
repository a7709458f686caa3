/**
 * Self-protection alert: with enforcement on, any ptrace aimed at the agent raises a built-in
 * Critical alert (where BPF LSM is attached, bpf/lsm/deny.bpf.c also refuses it). Failed calls
 * count too: the attempt is what matters.
 */
import type { CompiledRule } from '../engine/rules/compile.js';
import { parseOutputTemplate } from '../engine/output.js';
import type { VigilEvent } from '../event/types.js';

export function selfProtectionRule(agentPid: number): CompiledRule {
  return {
    name: 'Attempt to ptrace the vigil agent',
    desc: 'A process used ptrace on the vigil agent while enforcement is on',
    priority: 'Critical',
    tags: ['vigil', 'self_protection', 'mitre_defense_evasion', 'T1562'],
    enabled: true,
    action: undefined,
    test: (ev: VigilEvent) => isAttemptOnAgent(ev, agentPid),
    eventTypes: new Set(['ptrace']),
    output: parseOutputTemplate(
      'ptrace of the vigil agent (request=%evt.arg.request target=%evt.arg.pid by %proc.name pid=%proc.pid ' +
        'cmd=%proc.cmdline user=%user.name)',
    ),
    condition: `evt.type = ptrace and evt.rawarg.pid = ${agentPid}`,
    guard: undefined,
    indexKey: undefined,
    file: '(built in: src/enforce/self-protection.ts)',
    line: 0,
    index: -1,
  };
}

export function isAttemptOnAgent(ev: VigilEvent, agentPid: number): boolean {
  return ev.type === 'ptrace' && ev.rawargs?.pid === agentPid && ev.proc.pid !== agentPid;
}

/**
 * The alert of a self-protection denial a BPF LSM program reported itself (decode.ts denialOf = 0):
 * another process tried to detach a link of the agent's enforcing programs (bpf/lsm/protect.bpf.c).
 * Signals and ptrace are reported by their own syscall records instead.
 */
export function agentProtectedRule(): CompiledRule {
  return {
    name: 'vigil agent protected',
    desc: 'A BPF LSM program refused an operation aimed at the vigil agent while enforcement is on',
    priority: 'Critical',
    tags: ['vigil', 'self_protection', 'mitre_defense_evasion', 'T1562'],
    enabled: true,
    action: undefined,
    test: () => false,
    eventTypes: new Set(['bpf']),
    output: parseOutputTemplate(
      'denied %evt.type %evt.arg.cmd aimed at the vigil agent (by %proc.name pid=%proc.pid ' +
        'cmd=%proc.cmdline user=%user.name)',
    ),
    condition: 'evt.type = bpf',
    guard: undefined,
    indexKey: undefined,
    file: '(built in: src/enforce/self-protection.ts)',
    line: 0,
    index: -1,
  };
}
