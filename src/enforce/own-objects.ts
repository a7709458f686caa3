/**
 * The agent's own BPF objects, as the BPF LSM's self-protection knows them
 * (bpf/lsm/protect.bpf.c): the ids of every program and map the agent holds a descriptor for
 * (the policy, LSM and sensor objects alike, read from /proc/<agent>/fd by AgentBpfObjects) go
 * into vg_lsm_own_progs and vg_lsm_own_maps. No other process may then detach or update the
 * links of those programs or change those maps. Ids the agent no longer holds (a sensor
 * restarted for new rules) are removed, so an id the kernel hands out again is not protected.
 */
import type { BpfObject } from '../kernel/bpf-object.js';
import { AgentBpfObjects } from '../sensor/agent-bpf-objects.js';

const OWN_MAPS = { prog: 'vg_lsm_own_progs', map: 'vg_lsm_own_maps' } as const;

/** Writes the ids of the objects process `pid` holds into the LSM object's own-id maps. */
export function markOwnObjects(lsm: BpfObject, pid: number): { progs: number; maps: number } {
  const held = new AgentBpfObjects(pid, 0);
  held.scan();
  const one = Buffer.alloc(4);
  one.writeUInt32LE(1);
  const count = { progs: 0, maps: 0 };
  for (const kind of ['prog', 'map'] as const) {
    const ids = new Set(held.idsOf(kind));
    for (const id of ids) {
      const key = Buffer.alloc(4);
      key.writeUInt32LE(id);
      lsm.mapUpdate(OWN_MAPS[kind], key, one);
    }
    for (const key of lsm.mapKeys(OWN_MAPS[kind]))
      if (!ids.has(key.readUInt32LE(0))) lsm.mapDelete(OWN_MAPS[kind], key);
    count[kind === 'prog' ? 'progs' : 'maps'] = ids.size;
  }
  return count;
}
