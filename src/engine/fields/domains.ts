/**
 * Domain names for fd.cip.name / fd.sip.name / fd.lip.name / fd.rip.name, the
 * way Falco's DNS manager does it: a condition names a domain
 * (`fd.sip.name = kubernetes.default.svc.cluster.local`); vigil resolves that
 * name (from /etc/hosts at once, then through the system resolver, refreshed
 * every 30 s) and the comparison holds when the event's address is one of the
 * name's addresses. Only names written in rules are resolved: event data never
 * triggers a lookup, and the table is bounded.
 */
import { lookup } from 'node:dns';
import { readFileSync } from 'node:fs';
import { canonicalIp } from './ip.js';

const REFRESH_MS = 30_000;
/** Names come from rules, not events; the bound guards against a pathological ruleset. */
const MAX_NAMES = 4096;

interface Entry {
  /** From /etc/hosts, fixed. */
  hosts: Set<string>;
  /** From the resolver, replaced on each refresh. */
  resolved: Set<string>;
}

const entries = new Map<string, Entry>();
let timer: NodeJS.Timeout | undefined;

function hostsFile(): Map<string, Set<string>> {
  const byName = new Map<string, Set<string>>();
  let text: string;
  try {
    text = readFileSync('/etc/hosts', 'utf8');
  } catch {
    return byName;
  }
  for (const line of text.split('\n')) {
    const [addr, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    const ip = addr ? canonicalIp(addr) : undefined;
    if (ip === undefined) continue;
    for (const n of names) {
      const key = n.toLowerCase();
      if (!byName.has(key)) byName.set(key, new Set());
      byName.get(key)!.add(ip);
    }
  }
  return byName;
}

function resolve(name: string, entry: Entry): void {
  lookup(name, { all: true }, (err, addresses) => {
    if (err) return;
    entry.resolved = new Set(addresses.map((a) => canonicalIp(a.address) ?? a.address));
  });
}

/** Starts resolving `name` (idempotent). Called at compile time for each name a condition compares with. */
export function watchDomain(name: string): void {
  const key = name.toLowerCase();
  if (entries.has(key) || entries.size >= MAX_NAMES) return;
  const entry: Entry = { hosts: hostsFile().get(key) ?? new Set(), resolved: new Set() };
  entries.set(key, entry);
  resolve(key, entry);
  if (timer === undefined) {
    timer = setInterval(() => {
      for (const [n, e] of entries) resolve(n, e);
    }, REFRESH_MS);
    timer.unref();
  }
}

/** The watched names that `ip` belongs to (usually none or one). */
export function domainsOf(ip: string): string[] {
  const out: string[] = [];
  for (const [name, e] of entries) if (e.hosts.has(ip) || e.resolved.has(ip)) out.push(name);
  return out;
}
