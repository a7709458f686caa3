/** user.* and group.* fields: the credentials of the process, as they were at the event. */
import { plain } from './define.js';
import type { FieldDef } from './field-types.js';

export const USER_FIELDS: FieldDef[] = [
  plain('user.uid', 'uint64', 'User id', (ev) => ev.user.uid),
  plain('user.name', 'string', 'User name', (ev) => ev.user.name),
  plain('user.homedir', 'string', 'Home directory of the user', (ev) => ev.user.homedir),
  plain('user.shell', 'string', 'Login shell of the user', (ev) => ev.user.shell),
  plain('user.loginuid', 'int64', 'Audit login uid; -1 when unset', (ev) => ev.user.loginuid),
  plain('user.loginname', 'string', 'Name of the audit login user', (ev) => ev.user.loginname),
  plain('group.gid', 'uint64', 'Group id', (ev) => ev.group.gid),
  plain('group.name', 'string', 'Group name', (ev) => ev.group.name),
];
