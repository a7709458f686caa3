/**
 * A Sigma rule as a Falco-format rule: title -> name, level -> priority, tags (attack.tNNNN ->
 * TNNNN, attack.<tactic> -> mitre_<tactic>), description with the false positives, an output
 * naming the matched fields, and the origin (id, status, author, license, references) under
 * vigil's `sigma` key.
 */
import type { Priority } from '../../event/alert.js';
import type { SigmaOrigin } from '../rules/items.js';
import { convertDetection } from './detection.js';
import type { SigmaDoc } from './document.js';

export interface FalcoRuleOut {
  rule: string;
  desc: string;
  condition: string;
  output: string;
  priority: Priority;
  tags: string[];
  sigma: SigmaOrigin;
}

const LEVELS: Readonly<Record<string, Priority>> = {
  informational: 'Informational',
  low: 'Notice',
  medium: 'Warning',
  high: 'Error',
  critical: 'Critical',
};

/** Sigma tags as vigil's (Falco's) tags. */
export function convertTags(tags: readonly string[]): string[] {
  const out = tags.map((t) => {
    const tech = /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(t);
    if (tech) return tech[1].toUpperCase();
    const other = /^attack\.([gs]\d{4})$/i.exec(t);
    if (other) return other[1].toUpperCase();
    const tactic = /^attack\.([a-z_-]+)$/i.exec(t);
    if (tactic) return `mitre_${tactic[1].toLowerCase().replace(/-/g, '_')}`;
    return t;
  });
  return [...new Set(['sigma', ...out])];
}

function description(doc: SigmaDoc): string {
  const fps = doc.falsepositives.filter((f) => f.trim() !== '' && !/^unknown$/i.test(f.trim()));
  const base = doc.description ?? doc.title;
  return fps.length > 0 ? `${base}\nFalse positives: ${fps.join('; ')}` : base;
}

/** The output line: the title, then each matched field by its Sigma name, then who did it. */
function outputOf(title: string, fields: ReadonlyMap<string, string>): string {
  const named = [...fields].map(([sigma, vigil]) => `${sigma}=%${vigil}`);
  const who = [
    'user=%user.name',
    'process=%proc.exepath',
    'command=%proc.exeline',
    'container=%container.id',
  ];
  const seen = new Set(fields.values());
  const extra = who.filter((w) => !seen.has(w.slice(w.indexOf('%') + 1)));
  // A template has no escape for '%': the title is literal text.
  return `${title.replace(/%/g, '')} (${[...named, ...extra].join(' ')})`;
}

/** Converts one Sigma rule. Throws SigmaError (malformed) or SigmaUnsupported (not convertible). */
export function convertSigmaDoc(doc: SigmaDoc, name: string): FalcoRuleOut {
  const det = convertDetection(doc);
  const sigma: SigmaOrigin = { references: doc.references };
  for (const k of ['id', 'status', 'level', 'author', 'license', 'date', 'modified'] as const) {
    const v = doc[k];
    if (v !== undefined) sigma[k] = v;
  }
  sigma.license ??= 'DRL-1.1';
  sigma.file = doc.file.path;
  return {
    rule: name,
    desc: description(doc),
    condition: det.condition,
    output: outputOf(doc.title, det.fields),
    priority: LEVELS[doc.level ?? ''] ?? 'Warning',
    tags: convertTags(doc.tags),
    sigma,
  };
}
