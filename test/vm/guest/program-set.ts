/**
 * Which programs of a BPF object this kernel loads and attaches, found the way a loader with
 * feature detection would: load everything; when the load fails, libbpf names the program that
 * failed, which is switched off (autoload) before trying again; then attach each loaded program.
 */
import { BpfObject, type BpfError } from '../../../src/kernel/bpf-object.js';

export interface ProgramSet {
  /** Every program of the object. */
  all: string[];
  /** Loaded and attached. */
  attached: string[];
  /** Refused, with why: `load: ...` or `attach: ...`. */
  refused: Record<string, string>;
}

/** Ring buffers are shrunk to this (bytes): the guest only loads, it reads nothing. */
const RING_BYTES = 1 << 16;

/** The program libbpf blames for a failed object load, from its log. */
export function failedProgram(err: BpfError): { name: string; line: string } | null {
  const text = `${err.libbpfLog}\n${err.message}`;
  const m =
    /^.*prog '([^']+)': (?:BPF program load failed|failed to load|failed to relocate|relo #).*$/m.exec(
      text,
    ) ?? /^.*prog '([^']+)'.*$/m.exec(text);
  return m ? { name: m[1], line: m[0].trim() } : null;
}

/** libbpf's program types that attach to a cgroup rather than by their section alone. */
const CGROUP_TYPE = /^(cgroup|sock_ops)/;

/** `cgroupPath`: where cgroup programs attach (for an instant: they must allow by default). */
export function programSet(path: string, cgroupPath: string): ProgramSet {
  const probe = BpfObject.open(path);
  const all = probe.programs().map((p) => p.name);
  const cgroupPrograms = new Set(
    probe
      .programs()
      .filter((p) => CGROUP_TYPE.test(p.type))
      .map((p) => p.name),
  );
  const rings = probe.maps().filter((m) => m.type === 'ringbuf');
  probe.close();
  const mapMaxEntries = Object.fromEntries(rings.map((m) => [m.name, RING_BYTES]));

  const refused: Record<string, string> = {};
  for (;;) {
    const object = BpfObject.open(path, {
      autoload: Object.fromEntries(all.map((name) => [name, !(name in refused)])),
      mapMaxEntries,
    });
    try {
      try {
        object.load();
      } catch (err) {
        const culprit = failedProgram(err as BpfError);
        if (!culprit || culprit.name in refused) throw err;
        const verifier = (err as BpfError).verifierLog?.trim().split('\n').slice(-3).join(' | ') ?? '';
        refused[culprit.name] =
          `load: ${culprit.line.slice(0, 200)}${verifier ? ` (verifier: ${verifier.slice(0, 300)})` : ''}`;
        continue;
      }
      const attached: string[] = [];
      for (const name of all.filter((n) => !(n in refused))) {
        try {
          object.attach(name, cgroupPrograms.has(name) ? { cgroupPath } : undefined);
          attached.push(name);
        } catch (err) {
          const e = err as BpfError;
          refused[name] = `attach: ${e.code} ${e.message.split('\n')[0].slice(0, 200)}`;
        }
      }
      return { all, attached, refused };
    } finally {
      object.close();
    }
  }
}
