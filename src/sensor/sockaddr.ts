/**
 * struct vg_sockaddr -> addresses, Falco's socket fd.name
 * ("clientip:clientport->serverip:serverport") and the fd of a socket event.
 */
import type { FdInfo } from '../event/types.js';
import { LAYOUT } from '../kernel/layout.js';
import { l4proto } from './flags.js';

const SA = LAYOUT.vg_sockaddr.fields;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;

export interface SockAddr {
  family: number;
  ip: string;
  port: number;
}

export function readSockAddr(b: Buffer, dv: DataView, o: number): SockAddr {
  const family = dv.getUint16(o + SA.family, true);
  const port = dv.getUint16(o + SA.port, true);
  const a = o + SA.addr;
  let ip = '';
  if (family === AF_INET) ip = `${b[a]}.${b[a + 1]}.${b[a + 2]}.${b[a + 3]}`;
  else if (family === AF_INET6) ip = ipv6(b, a);
  return { family, ip, port };
}

/** RFC 5952 text: lowercase, the longest run of two or more zero groups as '::', v4-mapped dotted. */
export function ipv6(b: Uint8Array, a: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[a + 2 * i] << 8) | b[a + 2 * i + 1]);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[a + 12]}.${b[a + 13]}.${b[a + 14]}.${b[a + 15]}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function endpoint(s: SockAddr): string {
  return `${s.ip}:${s.port}`;
}

/** Falco's fd.name of an IP socket: client first. A socket with no peer is named by its local end. */
export function tupleName(local: SockAddr, remote: SockAddr, isServer: boolean): string {
  const hasRemote = remote.ip !== '' && (remote.port !== 0 || !isZeroIp(remote.ip));
  if (!hasRemote) return local.ip === '' ? '' : endpoint(local);
  return isServer ? `${endpoint(remote)}->${endpoint(local)}` : `${endpoint(local)}->${endpoint(remote)}`;
}

export function isZeroIp(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::' || ip === '';
}

/** The fd of a socket from its two ends (a unix socket: its path; other families: unnamed). */
export function socketFd(
  family: number,
  sockType: number,
  protocol: number,
  local: SockAddr,
  remote: SockAddr,
  isServer: boolean,
  unixPath: string,
): FdInfo {
  if (family === AF_UNIX) return { type: 'unix', name: unixPath, l4proto: '', is_server: isServer };
  if (family !== AF_INET && family !== AF_INET6) return { type: 'socket', name: '', is_server: isServer };
  const name = tupleName(local, remote, isServer);
  return {
    type: family === AF_INET ? 'ipv4' : 'ipv6',
    name,
    l4proto: l4proto(protocol, sockType),
    lip: local.ip,
    lport: local.port,
    rip: remote.ip,
    rport: remote.port,
    is_server: isServer,
    connected: remote.port !== 0,
  };
}
