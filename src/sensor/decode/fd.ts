/**
 * The fd family (bpf/tracepoints/fd.bpf.c, struct vg_dup): dup, dup2, dup3, with what the
 * duplicated fd is, so that a shell wired to a socket is visible.
 */
import type { EventRow } from '../../event/table.js';
import type { FdInfo, FdType, VigilEvent } from '../../event/types.js';
import { FD_KINDS, LAYOUT } from '../../kernel/layout.js';
import * as F from '../flags.js';
import { AF_INET, AF_INET6, AF_UNIX, readSockAddr, socketFd } from '../sockaddr.js';
import type { RecordReader } from './decoder.js';

const DU = LAYOUT.vg_dup.fields;

export function decodeDup(r: RecordReader, w: EventRow, rec: number, p: number): VigilEvent {
  const ev = r.event(w, rec);
  const dv = r.dv;
  const oldfd = dv.getInt32(p + DU.oldfd, true);
  const newfd = w.type === 'dup' ? ev.ret : dv.getInt32(p + DU.newfd, true);
  const kind = dv.getUint16(p + DU.kind, true);
  const flags = dv.getUint32(p + DU.flags, true);
  const s = r.strings(rec, p + LAYOUT.vg_dup.size, p + DU.str_len, 1);
  const str = r.utf8(s, 0);
  const type: FdType = FD_KINDS[kind]?.type ?? 'unknown';
  let fd: FdInfo;
  if (type === 'ipv4' || type === 'ipv6' || type === 'unix') {
    const local = readSockAddr(r.b, dv, p + DU.local);
    const remote = readSockAddr(r.b, dv, p + DU.remote);
    const family = type === 'ipv4' ? AF_INET : type === 'ipv6' ? AF_INET6 : AF_UNIX;
    const sockType = dv.getUint16(p + DU.sock_type, true);
    fd = socketFd(family, sockType, dv.getUint16(p + DU.protocol, true), local, remote, false, str);
  } else {
    fd = { type, name: str };
  }
  fd.num = newfd;
  ev.fd = fd;
  ev.args = { res: F.renderRes(ev.ret), oldfd, newfd };
  ev.rawargs = { res: ev.ret, oldfd, newfd, flags };
  if (w.type === 'dup3') ev.args.flags = F.renderFlags(F.DUP3_FLAGS, flags);
  return ev;
}
