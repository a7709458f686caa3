/**
 * The network family (bpf/tracepoints/net.bpf.c, struct vg_net): the socket's two ends as the
 * kernel has them after the call, named as Falco names a socket fd (fd.name, fd.lip...).
 */
import type { EventRow } from '../../event/table.js';
import type { EventArgs, FdInfo, VigilEvent } from '../../event/types.js';
import { LAYOUT } from '../../kernel/layout.js';
import * as F from '../flags.js';
import { readSockAddr, socketFd } from '../sockaddr.js';
import type { RecordReader } from './decoder.js';

const NE = LAYOUT.vg_net.fields;

export function decodeNet(r: RecordReader, w: EventRow, rec: number, p: number): VigilEvent {
  const ev = r.event(w, rec);
  const dv = r.dv;
  const local = readSockAddr(r.b, dv, p + NE.local);
  const remote = readSockAddr(r.b, dv, p + NE.remote);
  const domain = dv.getUint32(p + NE.domain, true);
  const type = dv.getUint32(p + NE.type, true);
  const protocol = dv.getUint32(p + NE.protocol, true);
  const s = r.strings(rec, p + LAYOUT.vg_net.size, p + NE.str_len, 2);
  const family = local.family || remote.family || domain;
  const isServer = w.type === 'accept' || w.type === 'accept4' || w.type === 'bind' || w.type === 'listen';
  const fd = socketFd(family, type, protocol, local, remote, isServer, r.utf8(s, 0));
  const args: EventArgs = {};
  const raw: Record<string, number> = {};
  netArgs(r, ev, p, fd, args, raw);
  raw.fd = fd.num!;
  args.res = F.renderRes(ev.ret);
  raw.res = ev.ret;
  ev.fd = fd;
  ev.args = args;
  ev.rawargs = raw;
  if (s[2] > s[1]) ev.buffer = r.b.toString('latin1', s[1], s[2]);
  return ev;
}

/** Each call's arguments, and the fd it is about (the new one for socket and accept). */
function netArgs(
  r: RecordReader,
  ev: VigilEvent,
  p: number,
  fd: FdInfo,
  args: EventArgs,
  raw: Record<string, number>,
): void {
  const dv = r.dv;
  const fdNum = dv.getInt32(p + NE.fd, true);
  const flags = dv.getUint32(p + NE.flags, true);
  switch (ev.type) {
    case 'socket': {
      const domain = dv.getUint32(p + NE.domain, true);
      const type = dv.getUint32(p + NE.type, true);
      const protocol = dv.getUint32(p + NE.protocol, true);
      fd.num = ev.ret;
      args.domain = F.renderSocketFamily(domain);
      args.type = F.renderSocketType(type);
      args.proto = protocol;
      Object.assign(raw, { domain, type, proto: protocol });
      break;
    }
    case 'accept':
    case 'accept4':
      fd.num = ev.ret;
      args.tuple = fd.name;
      args.queuelen = 0;
      if (ev.type === 'accept4') {
        args.flags = F.renderFlags(F.SOCKET_FLAGS, flags);
        raw.flags = flags;
      }
      break;
    case 'listen':
      fd.num = fdNum;
      args.fd = fdNum;
      args.backlog = dv.getUint32(p + NE.backlog, true);
      raw.backlog = args.backlog;
      break;
    case 'sendto':
    case 'recvfrom':
      fd.num = fdNum;
      args.fd = fdNum;
      args.tuple = fd.name;
      args.flags = F.renderFlags(F.SENDTO_FLAGS, flags);
      raw.flags = flags;
      break;
    default: // connect, bind
      fd.num = fdNum;
      args.fd = fdNum;
      args.tuple = fd.name;
      if (ev.type === 'bind') args.addr = fd.name;
  }
}
