/**
 * Built-in rule of the self-protection denials that only a BPF LSM program sees. Signals and ptrace
 * aimed at the agent are the bundled rule "Agent tampering" (rules/05-self-protection.yaml), always on.
 */
import type { CompiledRule } from '../engine/rules/compile-rules.js';
import { parseOutputTemplate } from '../engine/output-template.js';

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
    testFor: () => ({ test: () => false, constant: false }),
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
