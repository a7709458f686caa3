/**
 * The file family (bpf/tracepoints/file.bpf.c, struct vg_file): a path, resolved against the
 * directory the kernel walked (or the process's cwd), and for rename, link, symlink and mount a
 * second one. Opens are the hot path: their event is built first, and none of the other calls'
 * cases apply to them. A successful open is named by what it opened (openName).
 */
import type { EventRow } from '../../event/table.js';
import type { EventArgs, FdInfo, VigilEvent } from '../../event/types.js';
import { capabilityNames } from '../../event/capabilities.js';
import { FILE_STR, HDR_F_IO_URING, LAYOUT } from '../../kernel/layout.js';
import { resolvePath } from '../fd-path.js';
import * as F from '../flags.js';
import type { RecordReader } from './decoder.js';

const FI = LAYOUT.vg_file.fields;
const O_DIRECTORY = 0o200000;

export function decodeFile(r: RecordReader, w: EventRow, rec: number, p: number): VigilEvent {
  const ev = r.event(w, rec);
  const dv = r.dv;
  const s = r.strings(rec, p + LAYOUT.vg_file.size, p + FI.str_len, 6);
  const raw0 = r.utf8(s, FILE_STR.path);
  const dir0 = r.utf8(s, FILE_STR.dirpath);
  const fd: FdInfo = { type: 'file', name: '', nameraw: raw0 };
  const name =
    w.open && ev.ret >= 0
      ? openName(r, rec, p, s, fd, dir0 || ev.proc.cwd)
      : resolvePath(dir0 || ev.proc.cwd, raw0);
  fd.name = name;
  const fdNum = dv.getInt32(p + FI.fd, true);
  const flags = dv.getUint32(p + FI.flags, true);
  const mode = dv.getUint32(p + FI.mode, true);
  const dirfd = dv.getInt32(p + FI.dirfd, true);
  const args: EventArgs = {};
  const raw: Record<string, number> = {};
  fd.num = fdNum;
  if (w.open) {
    fd.num = ev.ret;
    if ((flags & O_DIRECTORY) !== 0) fd.type = 'directory';
    if ((r.flags(rec) & HDR_F_IO_URING) !== 0) fd.io_uring = true;
    args.name = name;
    args.flags = F.renderOpenFlags(flags);
    raw.flags = flags;
    if (w.type === 'open_by_handle_at') {
      args.mountfd = dirfd;
      raw.mountfd = dirfd;
    } else {
      args.mode = F.renderMode(mode);
      if (w.type !== 'open' && w.type !== 'creat') args.dirfd = dirfd;
      raw.mode = mode;
      raw.dirfd = dirfd;
    }
    args.fd = ev.ret;
    raw.fd = ev.ret;
    args.res = ev.ret >= 0 ? ev.ret : F.errnoName(ev.ret);
    raw.res = ev.ret;
    ev.fd = fd;
    ev.args = args;
    ev.rawargs = raw;
    return ev;
  }
  pathArgs(r, ev, s, fd, flags, dirfd, args, raw);
  attributeArgs(r, ev, p, s, mode, args, raw);
  args.res = F.renderRes(ev.ret);
  raw.res = ev.ret;
  ev.fd = fd;
  ev.args = args;
  ev.rawargs = raw;
  return ev;
}

/**
 * The name of a successful open: the rules' path for the file when it is one they name exactly
 * (file-identities.ts: a hard link, bind mount or handle reaching it), else its real path as the
 * kernel walked it from the file's dentry. A walk cut at its depth or length limit falls back to
 * the path passed, resolved lexically against `dir` (without a path passed: the cut walk, which
 * starts with "..."). The path passed stays in fd.nameraw ('' when the call had none: then
 * fd.nameraw is fd.name).
 */
function openName(r: RecordReader, rec: number, p: number, s: number[], fd: FdInfo, dir: string): string {
  const ino = r.u64(p + FI.ino);
  const dev = r.dv.getUint32(p + FI.dev, true);
  fd.ino = ino;
  fd.dev = dev;
  const known = r.identities.nameOf(dev, ino);
  const real = r.utf8(s, FILE_STR.real);
  const raw = fd.nameraw!;
  if (raw === '') fd.nameraw = undefined;
  if (known !== undefined) return known;
  const cut = (r.truncated(rec) & (1 << FILE_STR.real)) !== 0;
  if (real !== '' && !cut) return real;
  return raw === '' ? real : resolvePath(dir, raw);
}

/** The path arguments of every call but the opens (and ev.fd2, and fd where it is not the path). */
function pathArgs(
  r: RecordReader,
  ev: VigilEvent,
  s: number[],
  fd: FdInfo,
  flags: number,
  dirfd: number,
  args: EventArgs,
  raw: Record<string, number>,
): void {
  const name = fd.name;
  const cwd = ev.proc.cwd;
  switch (ev.type) {
    case 'unlink':
    case 'rmdir':
    case 'truncate':
    case 'mkdir':
    case 'chmod':
    case 'chown':
    case 'lchown':
    case 'utimes':
    case 'setxattr':
    case 'lsetxattr':
    case 'mknod':
      args.path = name;
      break;
    case 'unlinkat':
    case 'mkdirat':
    case 'fchmodat':
    case 'fchownat':
    case 'utimensat':
      args.dirfd = dirfd;
      args.name = name;
      raw.dirfd = dirfd;
      if (ev.type !== 'mkdirat') {
        args.flags = F.renderFlags(F.AT_FLAGS, flags);
        raw.flags = flags;
      }
      break;
    case 'fchmod':
    case 'fchown':
    case 'ftruncate':
    case 'fsetxattr':
      args.fd = fd.num!;
      raw.fd = fd.num!;
      break;
    case 'rename':
    case 'renameat':
    case 'renameat2':
    case 'link':
    case 'linkat':
      ev.fd2 = secondPath(r, s, cwd);
      args.oldpath = name;
      args.newpath = ev.fd2.name;
      if (ev.type === 'renameat2') args.flags = F.renderFlags(F.RENAME_FLAGS, flags);
      else if (ev.type === 'linkat') args.flags = F.renderFlags(F.AT_FLAGS, flags);
      raw.flags = flags;
      break;
    case 'symlink':
    case 'symlinkat':
      symlinkArgs(r, ev, s, fd, args);
      break;
    case 'mount':
      mountArgs(r, ev, s, fd, args);
      args.flags = F.renderFlags(F.MOUNT_FLAGS, flags);
      raw.flags = flags;
      break;
    case 'umount2':
      fd.type = 'directory';
      args.name = name;
      args.flags = F.renderFlags(F.UMOUNT_FLAGS, flags);
      raw.flags = flags;
      break;
    case 'mknodat':
      args.dirfd = dirfd;
      args.path = name;
      raw.dirfd = dirfd;
      break;
  }
}

/** symlink: the link is the file created; its target is stored as given (it is relative to the link). */
function symlinkArgs(r: RecordReader, ev: VigilEvent, s: number[], fd: FdInfo, args: EventArgs): void {
  const target = fd.nameraw!;
  const link = secondPath(r, s, ev.proc.cwd);
  ev.fd2 = { type: 'file', name: target, nameraw: target };
  fd.name = link.name;
  fd.nameraw = link.nameraw;
  args.target = target;
  args.linkpath = link.name;
}

/** mount: the fd is the mount point (path2); the source is given as passed, with the fs type. */
function mountArgs(r: RecordReader, ev: VigilEvent, s: number[], fd: FdInfo, args: EventArgs): void {
  const source = fd.nameraw!;
  fd.name = secondPath(r, s, ev.proc.cwd).name;
  fd.nameraw = r.utf8(s, FILE_STR.path2);
  fd.type = 'directory';
  args.dev = source;
  args.dir = fd.name;
  args.type = r.utf8(s, FILE_STR.extra);
}

/**
 * What the call sets: the mode (chmod, mkdir, mknod), owner (chown), length (truncate), times
 * (utimensat, utimes), extended attribute (setxattr) or device (mknod).
 */
function attributeArgs(
  r: RecordReader,
  ev: VigilEvent,
  p: number,
  s: number[],
  mode: number,
  args: EventArgs,
  raw: Record<string, number>,
): void {
  const t = ev.type;
  if (t.includes('chmod') || t.startsWith('mkdir')) {
    args.mode = F.renderMode(mode);
    raw.mode = mode;
  }
  if (t.includes('chown')) {
    args.uid = r.dv.getInt32(p + FI.uid, true);
    args.gid = r.dv.getInt32(p + FI.gid, true);
    raw.uid = args.uid;
    raw.gid = args.gid;
  }
  if (t.endsWith('truncate')) {
    args.length = r.u64(p + FI.length);
    raw.length = args.length;
  }
  if (t === 'utimensat' || t === 'utimes') timesArgs(r, p, mode, args, raw);
  else if (t.endsWith('setxattr')) xattrArgs(r, p, r.utf8(s, FILE_STR.extra), args, raw);
  else if (t.startsWith('mknod')) {
    args.mode = F.renderNodeMode(mode);
    args.dev = r.dv.getUint32(p + FI.dev, true);
    raw.mode = mode;
    raw.dev = args.dev;
  }
}

/** utimensat/utimes: the access and modification times set ("now" when the call passed none). */
function timesArgs(
  r: RecordReader,
  p: number,
  given: number,
  args: EventArgs,
  raw: Record<string, number>,
): void {
  const dv = r.dv;
  if (given === 0) {
    args.atime = 'now';
    args.mtime = 'now';
    return;
  }
  const asec = r.u64(p + FI.length);
  const msec = r.u64(p + FI.ino);
  const ansec = dv.getUint32(p + FI.uid, true);
  const mnsec = dv.getUint32(p + FI.gid, true);
  args.atime = F.renderTimespec(asec, ansec);
  args.mtime = F.renderTimespec(msec, mnsec);
  raw.atime = asec;
  raw.mtime = msec;
}

/** setxattr family: the attribute, the value's size, and for security.capability the caps it grants. */
function xattrArgs(
  r: RecordReader,
  p: number,
  name: string,
  args: EventArgs,
  raw: Record<string, number>,
): void {
  const flags = r.dv.getUint32(p + FI.flags, true);
  args.name = name;
  args.size = r.u64(p + FI.length);
  args.flags = F.renderFlags(F.XATTR_FLAGS, flags);
  raw.size = args.size;
  raw.flags = flags;
  // The capabilities a security.capability value grants; empty for any other attribute.
  const caps = name === 'security.capability' ? r.u64(p + FI.ino) : 0;
  args.caps = capabilityNames(caps);
  raw.caps = caps;
}

/** path2 of a file record, resolved like path. */
function secondPath(r: RecordReader, s: number[], cwd: string): FdInfo {
  const path = r.utf8(s, FILE_STR.path2);
  return { type: 'file', name: resolvePath(r.utf8(s, FILE_STR.dirpath2) || cwd, path), nameraw: path };
}
