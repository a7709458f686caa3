/**
 * The sensor object live for a test: loaded through the addon, this process set as the agent
 * (filtered in the kernel), every program attached, records collected raw. Programs whose
 * tracepoint this kernel lacks are listed; their raw_tracepoint fallbacks are attached instead.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

import type { EventType } from '../../src/event/types.js';
import { BpfObject, forEachRecord } from '../../src/kernel/bpf-object.js';
import { LAYOUT, WIRE_VALUE_BY_TYPE } from '../../src/kernel/layout.js';
import { ensureMounts } from '../../src/kernel/mounts.js';
import { parseRecord, type RawRecord } from './records.js';
import { packageRoot } from '../../src/config/paths.js';

const ZERO = Buffer.alloc(4);
const TRACEFS_EVENTS = '/sys/kernel/tracing/events';
/** Programs allowed to lack their tracepoint (module syscalls on CONFIG_MODULES=n kernels). */
const MAY_BE_MISSING = /^(enter|exit)_f?init_module$/;
/** The module-load fallback on tp_btf/sys_exit (every syscall): attached, as by the agent, only
 * where the module tracepoints are missing. */
const MODULE_FALLBACK = 'sys_exit_module';

export function repoFile(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

export function typeValue(name: EventType): number {
  const value = WIRE_VALUE_BY_TYPE.get(name);
  assert.ok(value !== undefined, name);
  return value;
}

/** The tracepoint a program's section names is missing from this kernel. */
function tracepointMissing(section: string): boolean {
  const tp = /^tracepoint\/(.+)$/.exec(section);
  return tp !== null && !existsSync(join(TRACEFS_EVENTS, tp[1]!));
}

export interface LiveSensors {
  object: BpfObject;
  /** The records kept so far (all, or those `keep` accepted). */
  records: RawRecord[];
  /** Programs not attached because this kernel lacks their tracepoint. */
  missing: string[];
  /** Programs the kernel refused for any other reason (a test should expect none). */
  refused: string[];
  /** Sum over CPUs of a vg_stats counter. */
  stat(counter: keyof typeof LAYOUT.vg_stats.fields): bigint;
}

export async function startSensors(
  t: TestContext,
  keep: (r: RawRecord) => boolean = () => true,
): Promise<LiveSensors> {
  await ensureMounts();
  const object = BpfObject.open(repoFile('build', 'bpf', 'sensors.bpf.o'));
  t.after(() => object.close());
  object.load();

  const config = Buffer.alloc(LAYOUT.vg_config.size);
  config.writeUInt32LE(process.pid, LAYOUT.vg_config.fields.agent_tgid);
  object.mapUpdate('vg_config', ZERO, config);

  const records: RawRecord[] = [];
  object.openRingBuffer('vg_events', (batch) => {
    forEachRecord(batch, (offset, length) => {
      const r = parseRecord(Buffer.from(batch.subarray(offset, offset + length)));
      if (keep(r)) records.push(r);
    });
  });

  const refused: string[] = [];
  const missing: string[] = [];
  for (const program of object.programs()) {
    if (program.name === MODULE_FALLBACK) continue;
    try {
      object.attach(program.name);
    } catch (err) {
      if (tracepointMissing(program.section) && MAY_BE_MISSING.test(program.name)) missing.push(program.name);
      else refused.push(`${program.name} (${program.section}): ${(err as Error).message}`);
    }
  }
  if (missing.length > 0) object.attach(MODULE_FALLBACK);

  const stat = (counter: keyof typeof LAYOUT.vg_stats.fields): bigint => {
    const values = object.mapLookupPercpu('vg_stats', ZERO);
    assert.ok(values);
    const at = LAYOUT.vg_stats.fields[counter];
    return values.reduce((sum, v) => sum + v.readBigUInt64LE(at), 0n);
  };
  return { object, records, missing, refused, stat };
}
