/**
 * fs.path.* fields (Falco's fspath class): the path a file-system call acts on
 * (ev.fd), and for rename/link/symlink the second path (ev.fd2).
 */
import type { FdInfo } from '../../event/types.js';
import { plain } from './define.js';
import type { FieldDef, Getter } from './field-types.js';

const first =
  (read: (fd: FdInfo) => string | undefined): Getter =>
  (ev) =>
    ev.fd === undefined ? undefined : read(ev.fd);
const second =
  (read: (fd: FdInfo) => string | undefined): Getter =>
  (ev) =>
    ev.fd2 === undefined ? undefined : read(ev.fd2);

export const FS_FIELDS: FieldDef[] = [
  plain(
    'fs.path.name',
    'string',
    'Path the call acts on, resolved',
    first((fd) => fd.name),
  ),
  plain(
    'fs.path.nameraw',
    'string',
    'Path the call acts on, as passed',
    first((fd) => fd.nameraw ?? fd.name),
  ),
  plain('fs.path.source', 'string', 'Source path of rename/link/symlink, resolved', (ev) =>
    ev.fd2 === undefined || ev.fd === undefined ? undefined : ev.fd.name,
  ),
  plain('fs.path.sourceraw', 'string', 'Source path of rename/link/symlink, as passed', (ev) =>
    ev.fd2 === undefined || ev.fd === undefined ? undefined : (ev.fd.nameraw ?? ev.fd.name),
  ),
  plain(
    'fs.path.target',
    'string',
    'Target path of rename/link/symlink, resolved',
    second((fd) => fd.name),
  ),
  plain(
    'fs.path.targetraw',
    'string',
    'Target path of rename/link/symlink, as passed',
    second((fd) => fd.nameraw ?? fd.name),
  ),
];
