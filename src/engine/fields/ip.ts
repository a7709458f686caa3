/**
 * IP address and network values for ipaddr / ipnet fields. Event addresses are
 * canonical text (the sensor formats them like inet_ntop); condition values
 * are canonicalised once at compile time so that `fd.sip = 0:0::1` matches.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Canonical text of an IP address, or undefined when `s` is not one. */
export function canonicalIp(s: string): string | undefined {
  if (isIPv4(s)) return s;
  if (isIPv6(s)) return new URL(`http://[${s}]/`).hostname.slice(1, -1);
  return undefined;
}

function v4ToInt(s: string): number {
  const p = s.split('.');
  return ((+p[0] << 24) | (+p[1] << 16) | (+p[2] << 8) | +p[3]) >>> 0;
}

/**
 * IPv4 text -> number, -1 when not IPv4. Falco's outbound macro tests each connect's addresses
 * against several networks; isIPv4 is a regular expression, so the parse is remembered (bounded:
 * the table starts over when full, event data cannot grow it without limit).
 */
const V4_CACHE = new Map<string, number>();
const V4_CACHE_MAX = 4096;
function v4Cached(ip: string): number {
  let v = V4_CACHE.get(ip);
  if (v === undefined) {
    v = isIPv4(ip) ? v4ToInt(ip) : -1;
    if (V4_CACHE.size >= V4_CACHE_MAX) V4_CACHE.clear();
    V4_CACHE.set(ip, v);
  }
  return v;
}

function v6ToBigInt(s: string): bigint {
  const canon = canonicalIp(s) ?? s;
  const [head, tail] = canon.includes('::') ? canon.split('::') : [canon, undefined];
  const hs = head === '' ? [] : head.split(':');
  const ts = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? hs : [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
  return v;
}

/** A network: `10.0.0.0/8`, `fd00::/8`, or a single address (host network). */
export interface IpNet {
  text: string;
  contains(ip: string): boolean;
}

export function parseNet(s: string): IpNet | undefined {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const bitsText = slash < 0 ? undefined : s.slice(slash + 1);
  if (bitsText !== undefined && !/^[0-9]{1,3}$/.test(bitsText)) return undefined;
  if (isIPv4(addr)) {
    const bits = bitsText === undefined ? 32 : Number(bitsText);
    if (bits > 32) return undefined;
    const shift = 32 - bits;
    const net = bits === 0 ? 0 : Math.floor(v4ToInt(addr) / 2 ** shift);
    return {
      text: s,
      contains: (ip) => {
        const v = v4Cached(ip);
        return v >= 0 && (bits === 0 || Math.floor(v / 2 ** shift) === net);
      },
    };
  }
  if (isIPv6(addr)) {
    const bits = bitsText === undefined ? 128 : Number(bitsText);
    if (bits > 128) return undefined;
    const shift = BigInt(128 - bits);
    const net = v6ToBigInt(addr) >> shift;
    return { text: s, contains: (ip) => isIPv6(ip) && v6ToBigInt(ip) >> shift === net };
  }
  return undefined;
}
