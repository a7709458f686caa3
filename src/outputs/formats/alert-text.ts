/** Human-readable renderings of an alert, shared by stdout, email, Slack and `vigil alerts`. */
import type { Alert } from '../../event/alert.js';
import { priorityRank } from '../priority.js';
import type { AlertSummary } from '../sink.js';

const COLOURS = [
  '\x1b[1;31m',
  '\x1b[1;31m',
  '\x1b[31m',
  '\x1b[31m',
  '\x1b[33m',
  '\x1b[36m',
  '\x1b[32m',
  '\x1b[2m',
];
const RESET = '\x1b[0m';

/** One line, in the spirit of pino-pretty: time, level, rule, rendered output, where. */
export function alertLine(a: Alert, color = false): string {
  const prio = a.priority.toUpperCase().padEnd(13);
  const level = color ? `${COLOURS[priorityRank(a.priority)]}${prio}${RESET}` : prio;
  const where = [`host=${a.hostname}`];
  const cid = a.event?.proc?.container_id;
  if (cid) where.push(`container=${cid}`);
  if (a.action && a.action !== 'alert') where.push(`action=${a.action}`);
  return `[${a.time}] ${level} ${a.rule}: ${oneLine(a.output)} (${where.join(' ')})`;
}

/** What a summary says, in every format that has room for a sentence. */
export function summaryText(s: AlertSummary): string {
  const secs = Math.round(s.window_ms / 1000);
  return `${s.count} more alert${s.count === 1 ? '' : 's'} from rule "${s.rule}" in the last ${secs}s (suppressed by rate limit or dedup)`;
}

export function summaryLine(s: AlertSummary, color = false): string {
  const prio = s.priority.toUpperCase().padEnd(13);
  const level = color ? `${COLOURS[priorityRank(s.priority)]}${prio}${RESET}` : prio;
  return `[${s.last_time}] ${level} ${summaryText(s)} (host=${s.hostname})`;
}

/** The process and its parents, nearest first: "cat (4242) <- bash (4200) <- sshd (1)". */
export function processChain(a: Alert): string {
  const p = a.event?.proc;
  if (!p) return '';
  const chain = [`${p.name || p.exe} (${p.pid})`];
  for (const anc of p.ancestors ?? []) chain.push(`${anc.name || anc.exe} (${anc.pid})`);
  return chain.join(' <- ');
}

export function oneLine(s: string): string {
  return String(s ?? '').replace(/[\r\n]+/g, ' ');
}

/** Labelled facts about an alert, for email and chat. */
export function alertFacts(a: Alert): [string, string][] {
  const p = a.event?.proc;
  const facts: [string, string][] = [
    ['Rule', a.rule],
    ['Priority', a.priority],
    ['Time', a.time],
    ['Host', a.hostname],
  ];
  if (p?.container_id)
    facts.push(['Container', [p.container_id, a.event.container?.name].filter(Boolean).join(' ')]);
  if (p) {
    facts.push(['Process', `${p.cmdline || p.exe} (pid ${p.pid}, uid ${p.uid})`]);
    facts.push(['Parents', processChain(a)]);
  }
  if (a.action && a.action !== 'alert') facts.push(['Action', a.action]);
  if (a.tags?.length) facts.push(['Tags', a.tags.join(', ')]);
  return facts;
}
