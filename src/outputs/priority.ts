/** Falco's priorities as ranks (0 = Emergency, the most severe), and their spellings in the config. */
import { PRIORITIES, type Priority } from '../event/alert.js';
import { OutputConfigError } from './config.js';

/** 0 = Emergency (most severe) … 7 = Debug; unknown spellings rank as Debug. */
export function priorityRank(p: string): number {
  const i = (PRIORITIES as readonly string[]).indexOf(p);
  return i < 0 ? PRIORITIES.length - 1 : i;
}

export function parsePriority(s: string): Priority {
  const hit = PRIORITIES.find((p) => p.toLowerCase() === s.toLowerCase());
  if (hit) return hit;
  if (s.toLowerCase() === 'info') return 'Informational';
  throw new OutputConfigError(`unknown priority "${s}" (one of ${PRIORITIES.join(', ')})`);
}
