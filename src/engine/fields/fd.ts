/**
 * fd.* fields: the file or socket the event is about (ev.fd). Sockets: the
 * server side is the local end when ev.fd.is_server, else the remote end.
 * fd.ip / fd.port / fd.net match either end, as in Falco. fd.types lists the
 * types of the process's fds: vigil only knows the event's own fd, so
 * fd.types[N] has a value when N is that fd, and fd.types alone has none.
 */
import type { FdInfo, FdType, VigilEvent } from '../../event/types.js';
import { indexed, plain } from './define.js';
import { domainsOf, watchDomain } from './domains.js';
import { pathDirectory, pathFilename } from './path-facts.js';
import type { FieldDef, FieldType, Getter } from './field-types.js';

const TYPE_CHARS: Record<FdType, string> = {
  file: 'f',
  directory: 'd',
  ipv4: '4',
  ipv6: '6',
  unix: 'u',
  pipe: 'p',
  // Device files are files to Falco.
  char: 'f',
  block: 'f',
  socket: 's',
  memfd: 'm',
  anon: 'a',
  unknown: '?',
};

const FILE_LIKE: ReadonlySet<FdType> = new Set<FdType>(['file', 'char', 'block', 'memfd']);
const IP_TYPES: ReadonlySet<FdType> = new Set<FdType>(['ipv4', 'ipv6']);

const ofFd =
  <T>(read: (fd: FdInfo) => T | undefined): Getter =>
  (ev) => {
    const fd = ev.fd;
    return fd === undefined ? undefined : (read(fd) as ReturnType<Getter>);
  };

const ofSocket = <T>(read: (fd: FdInfo) => T | undefined): Getter =>
  ofFd((fd) => (IP_TYPES.has(fd.type) ? read(fd) : undefined));

const clientIp = (fd: FdInfo) => (fd.is_server ? fd.rip : fd.lip);
const serverIp = (fd: FdInfo) => (fd.is_server ? fd.lip : fd.rip);
const clientPort = (fd: FdInfo) => (fd.is_server ? fd.rport : fd.lport);
const serverPort = (fd: FdInfo) => (fd.is_server ? fd.lport : fd.rport);

// fd.directory / fd.filename: asked by several rules of one event (Falco's sensitive_files,
// access_log_files), kept per path by path-facts.ts.
const directoryOf = (fd: FdInfo): string | undefined =>
  fd.type === 'directory' ? fd.name : FILE_LIKE.has(fd.type) ? pathDirectory(fd.name) : undefined;

const filenameOf = (fd: FdInfo): string | undefined =>
  FILE_LIKE.has(fd.type) ? pathFilename(fd.name) : undefined;

/** fd.ip-like: compared against both ends of a socket; rendered as the client end. */
function eitherEnd(
  name: string,
  type: FieldType,
  description: string,
  client: (fd: FdInfo) => string | number | undefined,
  local: (fd: FdInfo) => string | number | undefined,
  remote: (fd: FdInfo) => string | number | undefined,
): FieldDef {
  const anyOf = (ev: VigilEvent): readonly (string | number)[] => {
    const fd = ev.fd;
    if (fd === undefined || !IP_TYPES.has(fd.type)) return [];
    const l = local(fd);
    const r = remote(fd);
    return l === undefined ? (r === undefined ? [] : [r]) : r === undefined ? [l] : [l, r];
  };
  return { ...plain(name, type, description, ofSocket(client)), anyOf };
}

/**
 * fd.sip.name and co.: compared against the domain names written in rules
 * (resolved by domains.ts), rendered as the first such name, else <NA>.
 */
function domainField(name: string, end: string, ip: (fd: FdInfo) => string | undefined): FieldDef {
  const names = (ev: VigilEvent): readonly string[] => {
    const fd = ev.fd;
    const addr = fd === undefined || !IP_TYPES.has(fd.type) ? undefined : ip(fd);
    return addr === undefined ? [] : domainsOf(addr);
  };
  return {
    ...plain(
      name,
      'string',
      `Domain name of the ${end} IP: true when the address is one the compared name resolves to`,
      (ev) => names(ev)[0],
    ),
    anyOf: names,
    watch: watchDomain,
  };
}

export const FD_FIELDS: FieldDef[] = [
  plain(
    'fd.num',
    'int64',
    'fd number (-1 when an open failed)',
    ofFd((fd) => fd.num),
  ),
  plain(
    'fd.type',
    'string',
    'fd type: file, directory, ipv4, ipv6, unix, pipe, memfd...',
    ofFd((fd) => fd.type),
  ),
  plain(
    'fd.typechar',
    'string',
    'fd type as one character: f, d, 4, 6, u, p, m...',
    ofFd((fd) => TYPE_CHARS[fd.type]),
  ),
  plain(
    'fd.name',
    'string',
    'Full name: the real path of a file opened (resolved by the kernel: symlinks, bind mounts, /proc/PID/root; a file a rule names exactly, by that name), "cip:cport->sip:sport" for a socket',
    ofFd((fd) => fd.name),
  ),
  plain(
    'fd.nameraw',
    'string',
    'The path as the process passed it, before resolution (no path passed, as with open_by_handle_at or io_uring: fd.name)',
    ofFd((fd) => fd.nameraw ?? fd.name),
  ),
  plain('fd.directory', 'string', 'Directory of a file (a directory fd: itself)', ofFd(directoryOf)),
  plain('fd.filename', 'string', 'File name without directory', ofFd(filenameOf)),
  plain(
    'fd.ino',
    'uint64',
    'Inode of the file opened (open family, on success)',
    ofFd((fd) => fd.ino),
  ),
  plain(
    'fd.dev',
    'uint64',
    "Device of the file opened, as stat(2)'s st_dev (open family, on success)",
    ofFd((fd) => fd.dev),
  ),
  plain(
    'fd.is_io_uring',
    'bool',
    'true when the file was opened through io_uring (IORING_OP_OPENAT/OPENAT2)',
    ofFd((fd) => fd.io_uring === true),
  ),
  plain('fd.cip', 'ipaddr', 'Client IP address', ofSocket(clientIp)),
  plain('fd.sip', 'ipaddr', 'Server IP address', ofSocket(serverIp)),
  plain(
    'fd.lip',
    'ipaddr',
    'Local IP address',
    ofSocket((fd) => fd.lip),
  ),
  plain(
    'fd.rip',
    'ipaddr',
    'Remote IP address',
    ofSocket((fd) => fd.rip),
  ),
  eitherEnd(
    'fd.ip',
    'ipaddr',
    'Either IP address (client or server)',
    clientIp,
    (fd) => fd.lip,
    (fd) => fd.rip,
  ),
  plain('fd.cport', 'port', 'Client port', ofSocket(clientPort)),
  plain('fd.sport', 'port', 'Server port', ofSocket(serverPort)),
  plain(
    'fd.lport',
    'port',
    'Local port',
    ofSocket((fd) => fd.lport),
  ),
  plain(
    'fd.rport',
    'port',
    'Remote port',
    ofSocket((fd) => fd.rport),
  ),
  eitherEnd(
    'fd.port',
    'port',
    'Either port (client or server)',
    clientPort,
    (fd) => fd.lport,
    (fd) => fd.rport,
  ),
  plain(
    'fd.cnet',
    'ipnet',
    'Client IP, compared against networks (fd.cnet = 10.0.0.0/8)',
    ofSocket(clientIp),
  ),
  plain('fd.snet', 'ipnet', 'Server IP, compared against networks', ofSocket(serverIp)),
  plain(
    'fd.lnet',
    'ipnet',
    'Local IP, compared against networks',
    ofSocket((fd) => fd.lip),
  ),
  plain(
    'fd.rnet',
    'ipnet',
    'Remote IP, compared against networks',
    ofSocket((fd) => fd.rip),
  ),
  eitherEnd(
    'fd.net',
    'ipnet',
    'Either IP, compared against networks',
    clientIp,
    (fd) => fd.lip,
    (fd) => fd.rip,
  ),
  plain(
    'fd.l4proto',
    'string',
    'Transport protocol of a socket: tcp, udp, icmp, raw',
    ofFd((fd) => (fd.l4proto === '' ? undefined : fd.l4proto)),
  ),
  plain(
    'fd.sockfamily',
    'string',
    "Socket family: 'ip' or 'unix'",
    ofFd((fd) => (IP_TYPES.has(fd.type) ? 'ip' : fd.type === 'unix' ? 'unix' : undefined)),
  ),
  plain(
    'fd.is_server',
    'bool',
    'true for the listening/accepting side of a socket',
    ofFd((fd) => fd.is_server),
  ),
  plain(
    'fd.connected',
    'bool',
    'true when the socket is connected',
    ofFd((fd) => fd.connected),
  ),
  plain(
    'fd.name_changed',
    'bool',
    'true when the fd name changed during the event (vigil: never)',
    ofFd(() => false),
  ),
  domainField('fd.cip.name', 'client', clientIp),
  domainField('fd.sip.name', 'server', serverIp),
  domainField('fd.lip.name', 'local', (fd) => fd.lip),
  domainField('fd.rip.name', 'remote', (fd) => fd.rip),
  indexed(
    'fd.types',
    'list',
    "Types of the process's fds; fd.types[N]: the type of fd N (vigil knows the event's own fd only)",
    false,
    (index) => {
      if (index === undefined) return () => undefined;
      return (ev) => (ev.fd !== undefined && ev.fd.num === index ? [ev.fd.type] : undefined);
    },
  ),
];
