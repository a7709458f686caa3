/**
 * Sigma log sources to vigil events: for each (product linux) category or service vigil observes,
 * the events it means (a Falco condition) and what each Sigma field is there. A field missing from
 * a table, or listed with a reason, has no faithful counterpart: the rule is not converted.
 */

/** A Sigma field's vigil counterpart. `net`: the ipnet twin `cidr` compares against. */
export interface FieldMap {
  falco: string;
  type: 'string' | 'number' | 'ip';
  net?: string;
}

/** Fields whose meaning is not a plain comparison (they choose the events instead). */
export type SpecialField = { special: 'initiated' | 'success' | 'syscall' };

export type FieldEntry = FieldMap | SpecialField | { unsupported: string };

export interface SourceMapping {
  /** How messages name the log source. */
  name: string;
  /** The events of the log source, as a Falco condition. */
  events: string;
  fields: ReadonlyMap<string, FieldEntry>;
  /** Where a keyword (field-less) search looks; undefined: keywords are not supported here. */
  keywords?: string;
}

const s = (falco: string): FieldMap => ({ falco, type: 'string' });
const n = (falco: string): FieldMap => ({ falco, type: 'number' });
const no = (why: string): { unsupported: string } => ({ unsupported: why });

const PROCESS: [string, FieldEntry][] = [
  ['Image', s('proc.exepath')],
  ['CommandLine', s('proc.exeline')],
  ['ParentImage', s('proc.pexepath')],
  ['ParentCommandLine', s('proc.pcmdline')],
  ['CurrentDirectory', s('proc.cwd')],
  ['User', s('user.name')],
  ['LogonId', n('user.loginuid')],
  ['ProcessId', n('proc.pid')],
  ['ParentProcessId', n('proc.ppid')],
  ['ParentUser', no('the parent process user is not kept by vigil')],
  ['OriginalFileName', no('PE version information does not exist on Linux')],
  ['Product', no('PE version information does not exist on Linux')],
  ['Company', no('PE version information does not exist on Linux')],
  ['Description', no('PE version information does not exist on Linux')],
  ['Hashes', no('vigil does not hash executables')],
  ['IntegrityLevel', no('integrity levels do not exist on Linux')],
  ['ProcessGuid', no('process GUIDs are Sysmon identifiers vigil does not produce')],
  ['ParentProcessGuid', no('process GUIDs are Sysmon identifiers vigil does not produce')],
];

function table(entries: readonly [string, FieldEntry][]): ReadonlyMap<string, FieldEntry> {
  return new Map(entries.map(([k, v]) => [k.toLowerCase(), v]));
}

const FILE_TYPES = 'open, openat, openat2, creat';

export const PROCESS_CREATION: SourceMapping = {
  name: 'process_creation',
  events: 'evt.type = execve and evt.res = SUCCESS',
  fields: table(PROCESS),
};

export const FILE_EVENT: SourceMapping = {
  name: 'file_event',
  events: `evt.type in (${FILE_TYPES}) and evt.is_open_write = true and evt.failed = false`,
  fields: table([
    ...PROCESS,
    ['TargetFilename', s('fd.name')],
    ['CreationUtcTime', no('file times are not in the event')],
  ]),
};

export const NETWORK_CONNECTION: SourceMapping = {
  name: 'network_connection',
  events:
    'evt.type in (connect, accept, accept4) and fd.sockfamily = ip and (evt.failed = false or evt.res = EINPROGRESS)',
  fields: table([
    ...PROCESS,
    ['DestinationIp', { falco: 'fd.sip', type: 'ip', net: 'fd.snet' }],
    ['DestinationPort', n('fd.sport')],
    ['SourceIp', { falco: 'fd.cip', type: 'ip', net: 'fd.cnet' }],
    ['SourcePort', n('fd.cport')],
    ['Protocol', s('fd.l4proto')],
    ['Initiated', { special: 'initiated' }],
    ['DestinationHostname', no('vigil sees addresses, not the host names they were looked up from')],
    ['SourceHostname', no('vigil sees addresses, not the host names they were looked up from')],
    ['DestinationPortName', no('port names are not in the event')],
    ['SourcePortName', no('port names are not in the event')],
    ['DestinationIsIpv6', no('use DestinationIp|cidr instead')],
    ['SourceIsIpv6', no('use SourceIp|cidr instead')],
  ]),
};

/** The file system calls vigil traces with a path: what an audit PATH record can come from. */
const PATH_TYPES =
  'open, openat, openat2, creat, unlink, unlinkat, rename, renameat, renameat2, mkdir, mkdirat, rmdir, ' +
  'link, linkat, symlink, symlinkat, chmod, fchmodat, chown, lchown, fchownat, truncate';

const AUDIT_SYSCALL_FIELDS: [string, FieldEntry][] = [
  ['SYSCALL', { special: 'syscall' }],
  ['exe', s('proc.exepath')],
  ['comm', s('proc.name')],
  ['uid', n('user.uid')],
  ['auid', n('user.loginuid')],
  ['pid', n('proc.pid')],
  ['ppid', n('proc.ppid')],
  ['success', { special: 'success' }],
  ['key', no('audit rule keys name auditd rules, which vigil does not run')],
  ['a0', no("the SYSCALL record's raw arguments (hex) have no vigil field")],
  ['a1', no("the SYSCALL record's raw arguments (hex) have no vigil field")],
  ['a2', no("the SYSCALL record's raw arguments (hex) have no vigil field")],
  ['a3', no("the SYSCALL record's raw arguments (hex) have no vigil field")],
];

/** auditd record types vigil has events for, and their fields. */
export const AUDIT_RECORDS: ReadonlyMap<string, SourceMapping> = new Map([
  [
    'EXECVE',
    {
      name: 'auditd EXECVE',
      events: 'evt.type = execve and evt.res = SUCCESS',
      fields: table([['argc', no('argc has no vigil field; test the arguments (aN) instead')]]),
      keywords: 'proc.exeline',
    },
  ],
  [
    'SYSCALL',
    {
      name: 'auditd SYSCALL',
      events: '',
      fields: table(AUDIT_SYSCALL_FIELDS),
    },
  ],
  [
    'PATH',
    {
      name: 'auditd PATH',
      events: `evt.type in (${PATH_TYPES})`,
      fields: table([
        ['name', s('fs.path.name')],
        ['nametype', no('PATH record name types have no vigil field')],
        ['inode', n('fd.ino')],
      ]),
    },
  ],
]);

/** The EXECVE record's `aN` fields: argument N. */
export function auditArgField(field: string): FieldMap | undefined {
  const m = /^a(\d+)$/.exec(field);
  return m ? s(`proc.argv[${Number(m[1])}]`) : undefined;
}

/** The mapping of a (non-auditd) log source, or why there is none. */
export function sourceMapping(ls: {
  product?: string;
  category?: string;
  service?: string;
}): SourceMapping | { unsupported: string } {
  const what = [ls.product, ls.category, ls.service].filter((x) => x !== undefined).join('/');
  if (ls.product !== 'linux') return { unsupported: `log source '${what}': vigil observes Linux hosts only` };
  if (ls.service !== undefined) {
    return { unsupported: `log source service '${ls.service}': vigil has no events from this log` };
  }
  switch (ls.category) {
    case 'process_creation':
      return PROCESS_CREATION;
    case 'file_event':
      return FILE_EVENT;
    case 'network_connection':
      return NETWORK_CONNECTION;
    case undefined:
      return { unsupported: "log source 'linux' without a category or service: every Linux log at once" };
    default:
      return { unsupported: `log source category '${ls.category}' has no vigil events` };
  }
}
