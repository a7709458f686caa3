/**
 * Rule actions, carried out. Off (no Enforcer) unless --enforce or enforcement.enabled; in monitor
 * mode a rule with an action alerts as would-kill / would-deny. With enforcement on, each rule's
 * plan (src/plan/enforcement.ts) says who acts: the kernel (policy maps, written at start and on every reload)
 * or user space (SIGKILL by pidfd when the alert is raised, after the syscall completed).
 * onMatch says, per alert, what was actually done, and how.
 */
import type { AlertAction } from '../event/alert.js';
import { typesWhere, type EventType, type NetDenyHook } from '../event/table.js';
import type { VigilEvent } from '../event/types.js';
import type { CompiledRule } from '../engine/rules/compile-rules.js';
import { mounts } from '../kernel/mounts.js';
import { planRules, type EnforcementClass, type EnforcementPlan } from '../plan/enforcement.js';
import { ExeAllowList } from './exe-identity.js';
import { killByPidfd, type KillOutcome } from './pidfd-kill.js';
import { killOf } from '../sensor/decode/decoder.js';
import { PolicyMaps, type PolicyEntry } from './policy-maps.js';

export interface EnforcementInfo {
  /** kernel: done in the probe, synchronously; userspace: by the agent after the alert (asynchronous). */
  mode: 'kernel' | 'userspace' | 'monitor' | 'allowed';
  /** What the rule's action gets (monitor: what it would get with --enforce). */
  class?: EnforcementClass;
  /** Why user space acted, or why nothing was done. */
  reason?: string;
  /** userspace: what the pidfd kill found. */
  outcome?: KillOutcome;
}

export interface Verdict {
  action: AlertAction;
  enforcement: EnforcementInfo;
  /**
   * The event is the syscall's own record of an operation a BPF LSM program denied: the LSM's
   * record of the denial raised this rule's alert already, so this match raises none.
   */
  reported?: boolean;
}

export interface EnforcerOptions {
  enabled: boolean;
  allow: { exe: string[]; uid: number[]; container: string[] };
  /** cgroup v2 directory the deny programs attach to (default: the first cgroup2 mount). */
  cgroupRoot?: string;
  agentTgid?: number;
  /** Messages said once (LSM missing, allow-list entries skipped). */
  log?: (msg: string, data?: object) => void;
  /** Size of the sensor's ring buffer: the LSM programs' ring is the one the sensor reads. */
  ringBytes?: number;
}

const EPERM = 1;
/**
 * Event types whose deny entries on a path (field str0) a BPF LSM program checks and reports
 * (bpf/lsm/deny.bpf.c); the tracepoint check kills for the others (bpf/enforce/vg_enforce.h).
 */
const LSM_DENY_TYPES: ReadonlySet<EventType> = new Set(typesWhere((r) => r.lsmHook !== undefined));

export function cgroup2Root(): string | undefined {
  return mounts().find((m) => m.type === 'cgroup2')?.target;
}

export class Enforcer {
  private plans = new Map<string, EnforcementPlan>();
  /** Policy rule ids (vg_enf_rule.rule_id) of this generation and the one before: never reused. */
  private ruleIds = new Map<number, CompiledRule>();
  private previousRuleIds = new Map<number, CompiledRule>();
  private nextRuleId = 1;
  private readonly allowExe: ExeAllowList;
  private readonly allowUid: Set<number>;
  private readonly allowContainer: Set<string>;
  private readonly agentTgid: number;

  private constructor(
    readonly enabled: boolean,
    private readonly maps: PolicyMaps | undefined,
    private readonly opts: EnforcerOptions,
    allowExe: ExeAllowList,
  ) {
    this.allowExe = allowExe;
    this.allowUid = new Set(opts.allow.uid);
    this.allowContainer = new Set(opts.allow.container);
    this.agentTgid = opts.agentTgid ?? process.pid;
  }

  /**
   * Monitor mode needs no kernel object. With enforcement on, the policy maps are loaded (throws
   * when they cannot be), the allow-list written, and the LSM programs attached where the kernel
   * allows BPF LSM; where it does not, deny on exec and files is enforced as kill (said once).
   */
  static open(rules: readonly CompiledRule[], opts: EnforcerOptions): Enforcer {
    let maps: PolicyMaps | undefined;
    const allowExe = ExeAllowList.resolve(opts.allow.exe);
    if (opts.enabled) {
      maps = PolicyMaps.open();
      maps.writeAllow(allowExe.identities, opts.allow.uid);
      if (allowExe.missing.length > 0)
        opts.log?.('enforcement allow-list: these executables do not exist', { skipped: allowExe.missing });
    }
    if (maps) {
      try {
        maps.attachLsm(opts.ringBytes);
        opts.log?.(
          'BPF LSM programs attached: deny on exec, open, unlink, rename and connect, self-protection in the kernel',
        );
      } catch (err) {
        opts.log?.('BPF LSM is not available: deny on exec and file rules is enforced as kill', {
          err: (err as Error).message.split('\n')[0],
        });
      }
    }
    const e = new Enforcer(opts.enabled, maps, opts, allowExe);
    e.setRules(rules);
    return e;
  }

  /** Maps the sensor must reuse so its probes see the policy (undefined in monitor mode). */
  reuseMaps(): ReturnType<PolicyMaps['reuseMaps']> | undefined {
    return this.maps?.reuseMaps();
  }

  planOf(rule: string): EnforcementPlan | undefined {
    return this.plans.get(rule);
  }

  allPlans(): EnforcementPlan[] {
    return [...this.plans.values()];
  }

  /** New rules: plans recomputed and the kernel policy replaced in one generation swap. */
  setRules(rules: readonly CompiledRule[]): void {
    const plans = new Map(planRules(rules).map((p) => [p.rule, p]));
    if (this.allowContainer.size > 0) {
      for (const [name, p] of plans)
        if (p.mode === 'kernel')
          plans.set(name, {
            rule: name,
            mode: 'userspace',
            action: p.action,
            class: 'userspace-kill',
            why: 'enforcement.allow.container is set and the kernel cannot check containers',
          });
    }
    this.plans = plans;
    if (!this.maps) return;
    const entries: PolicyEntry[] = [];
    const hooks = new Set<NetDenyHook>();
    const byName = new Map(rules.map((r) => [r.name, r]));
    this.previousRuleIds = this.ruleIds;
    this.ruleIds = new Map();
    for (const p of plans.values()) {
      if (p.mode !== 'kernel') continue;
      const id = this.nextRuleId++;
      this.ruleIds.set(id, byName.get(p.rule)!);
      entries.push({ ruleId: id, action: p.action, policy: p.policy });
      if (p.policy.kind === 'net') for (const h of p.policy.hooks) hooks.add(h);
    }
    this.maps.write(entries, this.enabled, this.agentTgid, this.maps.lsmAttached);
    const root = this.opts.cgroupRoot ?? cgroup2Root();
    if (hooks.size > 0 && root === undefined)
      this.opts.log?.('no cgroup v2 mount: network deny rules cannot be enforced');
    else if (root !== undefined) this.maps.attachNet(hooks, root);
  }

  private exempt(ev: VigilEvent): string | undefined {
    if (ev.proc.pid <= 1) return 'pid 1 is never acted on';
    if (ev.proc.pid === this.agentTgid) return 'the agent is never acted on';
    const exe = this.allowExe.match(ev.proc);
    if (exe !== undefined) return `enforcement.allow.exe (${exe.path})`;
    if (this.allowUid.has(ev.user.uid)) return 'enforcement.allow.uid';
    if (ev.proc.container_id && this.allowContainer.has(ev.proc.container_id))
      return 'enforcement.allow.container';
    return undefined;
  }

  /**
   * Marks every BPF object the agent now holds (the sensor's too) as its own for the LSM's
   * self-protection: called once the sensor is attached, and again when it is re-attached.
   */
  protectAgentObjects(): void {
    const n = this.maps?.protectHeld(this.agentTgid);
    if (n !== undefined) this.opts.log?.("BPF LSM self-protection: the agent's programs and maps", n);
  }

  /** Whether BPF LSM programs deny (else deny on exec and files is enforced as kill). */
  get lsmAttached(): boolean {
    return this.maps?.lsmAttached ?? false;
  }

  /**
   * The rule whose policy entry a BPF LSM denial or a probe's kill names (src/sensor/decode/
   * decoder.ts denialOf, killOf).
   */
  ruleOfDenial(ruleId: number): CompiledRule | undefined {
    return this.ruleIds.get(ruleId) ?? this.previousRuleIds.get(ruleId);
  }

  /**
   * The rule a probe killed this event's process for, when the rules user space matched do not
   * include it (the parent's name or exe path in its process table differs from what the kernel
   * saw): that rule's alert is raised all the same, from the kernel's word.
   */
  unmatchedKill(ev: VigilEvent, matched: readonly CompiledRule[]): CompiledRule | undefined {
    const id = killOf(ev);
    const rule = id === undefined ? undefined : this.ruleOfDenial(id);
    return rule === undefined || matched.includes(rule) ? undefined : rule;
  }

  /** What was done about this match; kills in user space when that is the plan (or the kernel missed). */
  onMatch(rule: CompiledRule, ev: VigilEvent): Verdict {
    if (rule.action === undefined) return { action: 'alert', enforcement: { mode: 'monitor' } };
    const plan = this.plans.get(rule.name);
    if (!this.enabled || plan === undefined) {
      return {
        action: rule.action === 'kill' ? 'would-kill' : 'would-deny',
        enforcement: plan === undefined ? { mode: 'monitor' } : { mode: 'monitor', class: plan.class },
      };
    }
    const exempt = this.exempt(ev);
    if (exempt !== undefined) return { action: 'alert', enforcement: { mode: 'allowed', reason: exempt } };
    const lsmDeny =
      plan.mode === 'kernel' &&
      plan.action === 'deny' &&
      plan.policy.kind === 'string' &&
      plan.policy.field === 'str0' &&
      this.lsmAttached &&
      LSM_DENY_TYPES.has(ev.type);
    // The LSM program decided before the call: EPERM is its denial, which its own record reported.
    if (lsmDeny && ev.ret === -EPERM)
      return { action: 'denied', enforcement: { mode: 'kernel', class: 'kernel-deny' }, reported: true };
    if (!lsmDeny && plan.mode === 'kernel' && plan.policy.kind === 'net' && ev.ret === -EPERM)
      return { action: 'denied', enforcement: { mode: 'kernel', class: 'kernel-deny' } };
    // A probe killed the process at this record (a deny no LSM checks is carried out as kill).
    const killedFor = killOf(ev);
    if (killedFor !== undefined) {
      const by = this.ruleOfDenial(killedFor);
      const cls = ev.type === 'execve' ? 'kernel-exec-kill' : 'kernel-kill-after';
      const info: EnforcementInfo = { mode: 'kernel', class: cls };
      if (by !== rule) info.reason = `killed in the kernel for rule '${by?.name ?? killedFor}'`;
      return { action: 'killed', enforcement: info };
    }
    const reason =
      plan.mode === 'userspace'
        ? plan.why
        : lsmDeny
          ? 'the BPF LSM program could not judge this call (a path of 256 bytes or more)'
          : 'the kernel did not see what the rule matched (a relative or long path, a value past the window the kernel reads, a process table that differs)';
    const start = ev.proc.start_ts;
    const outcome = killByPidfd(ev.proc.pid, start);
    return {
      action: outcome === 'killed' ? 'killed' : 'alert',
      enforcement: { mode: 'userspace', class: 'userspace-kill', reason, outcome },
    };
  }

  /** Counters from the probes (undefined in monitor mode). */
  stats(): ReturnType<PolicyMaps['stats']> | undefined {
    return this.maps?.stats();
  }

  /** Removes every enforcing program and the policy. */
  close(): void {
    this.maps?.close();
  }
}
