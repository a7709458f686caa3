/**
 * The event model: one shape for every event, shared by the sensors (which
 * build it from kernel records), the engine (which reads fields from it),
 * `vigil events --json` / `vigil record` (which print it, one per line),
 * `vigil replay` (which reads it back) and the alert JSON (`alert.event`).
 *
 * An event is self-contained: it carries the process, user and container as
 * they were when it happened, so replaying it on another host gives the same
 * field values. Field names inside follow Falco's where Falco has one.
 */

import type { EventType } from './table.js';

// The event types are rows of one table (table.ts); they are named here too, with the event model.
export { EVENT_TYPES, canonicalEventType, isEventType, type EventType } from './table.js';

/** One entry of a process's parent chain (nearest first). */
export interface Ancestor {
  pid: number;
  /** Full path of the executable (Falco: proc.aexepath). */
  exe: string;
  /** Falco's proc.aname: the ancestor's comm (see ProcessInfo.name). */
  name: string;
  cmdline: string;
}

/** The process that caused an event, as it was at that moment. */
export interface ProcessInfo {
  pid: number;
  /** Thread that made the call (= pid for single-threaded processes). */
  tid: number;
  ppid: number;
  /** pid / ppid / sid / pgid as seen in the process's own pid namespace. */
  vpid: number;
  sid: number;
  vpgid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  /** Audit login uid; -1 when unset. */
  loginuid: number;
  /**
   * Falco's proc.name: the kernel's comm as the exec set it from the file name run (a script's
   * own name, not its interpreter's), 15 bytes at most, as Falco's rules expect.
   */
  name: string;
  /** Kernel's comm (thread name, up to 15 bytes). */
  comm: string;
  /** Full path of the executable, resolved by the kernel (Falco: proc.exepath). */
  exe: string;
  /** argv, argv[0] first (Falco: proc.exe is args[0], proc.args is args[1..]). */
  args: string[];
  /** argv joined with spaces (Falco: proc.cmdline uses the name, then the args). */
  cmdline: string;
  cwd: string;
  /** Environment, KEY=VALUE entries as captured at exec. */
  env: string[];
  /** Controlling tty device number; 0 without one. */
  tty: number;
  /** Process start, ns since the epoch. */
  start_ts: number;
  /** Capabilities (bit masks fit in a double: the last cap is bit 40). */
  cap_effective: number;
  cap_permitted: number;
  cap_inheritable: number;
  /** Executable file facts, from the exec. */
  exe_ino: number;
  /**
   * The executable's device, as stat(2) gives st_dev: with exe_ino, the file's identity (what
   * enforcement.allow.exe compares). Absent in events recorded before vigil carried it.
   */
  exe_dev?: number;
  exe_ctime: number;
  exe_mtime: number;
  exe_writable: boolean;
  exe_upper_layer: boolean;
  exe_from_memfd: boolean;
  /** Container id (12 hex for Docker-style ids, as Falco shortens them); '' on the host. */
  container_id: string;
  cgroup: string;
  /** Nearest parent first, up to the process table's depth. */
  ancestors: Ancestor[];
}

export interface UserInfo {
  uid: number;
  name: string;
  /** Audit login uid; -1 when unset. */
  loginuid: number;
  loginname: string;
  homedir: string;
  shell: string;
}

export interface GroupInfo {
  gid: number;
  name: string;
}

/** Falco's fd.type names. */
export type FdType =
  | 'file'
  | 'directory'
  | 'ipv4'
  | 'ipv6'
  | 'unix'
  | 'pipe'
  | 'char'
  | 'block'
  | 'socket'
  | 'memfd'
  | 'anon'
  | 'unknown';

/** The file or socket an event is about (Falco's fd.* fields). */
export interface FdInfo {
  /** fd number, when the event has one. */
  num?: number;
  type: FdType;
  /**
   * Falco's fd.name: an absolute path for files; for sockets
   * "clientip:clientport->serverip:serverport" (a unix socket: its path).
   */
  name: string;
  /** The path as the process passed it, before resolution (fd.nameraw). */
  nameraw?: string;
  /** Sockets. */
  l4proto?: 'tcp' | 'udp' | 'raw' | 'icmp' | '';
  lip?: string;
  lport?: number;
  rip?: string;
  rport?: number;
  /** True for the listening/accepting side (fd.sip is then lip). */
  is_server?: boolean;
  connected?: boolean;
  /** Inode of a file opened (open family). */
  ino?: number;
  /** Device of a file opened (open family), as stat(2)'s st_dev: major << 8 | minor for small numbers. */
  dev?: number;
  /** Opened through io_uring (reported at its completion). */
  io_uring?: boolean;
}

/** Falco-rendered argument values (evt.arg.NAME), and raw numbers (evt.rawarg.NAME). */
export type EventArgs = Record<string, string | number>;

/** The Kubernetes pod a container belongs to (Falco's k8s.pod.* / k8s.ns.name). */
export interface PodInfo {
  uid: string;
  name: string;
  namespace: string;
  /** The pod's labels, from the container runtime (CRI PodSandboxStatus). */
  labels?: Record<string, string>;
}

/**
 * One mount of a container (Falco's container.mount.*): a mount of the container's mount
 * namespace that the host does not have at the same place, from a filesystem the host has
 * mounted. Read from /proc/PID/mountinfo (src/sensor/container-mounts.ts).
 */
export interface ContainerMount {
  /** The host path mounted: where the filesystem is mounted on the host, joined with the mount's root. */
  source: string;
  /** Where it is mounted in the container. */
  dest: string;
  /** The mount's options as mountinfo has them (`ro,nosuid,relatime`). */
  mode: string;
  /** False for a read-only mount. */
  rdwr: boolean;
  /** `shared`, `slave` or `private`. */
  propagation: string;
}

export interface ContainerInfo {
  id: string;
  /** The runtime's container name (in a pod: the name in the pod spec). */
  name?: string;
  /** The runtime, from the cgroup path: docker, containerd, cri-o, podman, lxc (container.type). */
  type?: string;
  /** Set when the container runs in a Kubernetes pod whose metadata vigil could read. */
  pod?: PodInfo;
  /** The image as the container was created from it (`docker.io/library/nginx:1.25`). */
  image?: string;
  image_repository?: string;
  image_tag?: string;
  /** The registry digest of the image (`sha256:<hex>`), when the runtime knows it. */
  image_digest?: string;
  /** The image id (12 hex, as Falco shows it). */
  image_id?: string;
  privileged?: boolean;
  /** The container's labels as the runtime has them. */
  labels?: Record<string, string>;
  start_ts?: number;
  /**
   * The container's mounts, read for the event types whose rules ask for container.mount* (absent
   * otherwise, and when the process was gone before they could be read).
   */
  mounts?: ContainerMount[];
  /**
   * The runtime's metadata was not there when the event was decided (the lookup still running
   * after `containers.metadata_wait_ms`, or the runtime down): the fields left without a value.
   */
  unknown?: string[];
}

/**
 * The process a call was aimed at (signals: kill, tkill, tgkill, pidfd_send_signal; ptrace), as
 * the kernel named it (host pids), or from the pid as passed when the kernel did not say.
 */
export interface TargetInfo {
  pid: number;
  /** The thread aimed at (tkill, tgkill); else the pid. */
  tid: number;
  /** Its comm (as proc.name). */
  name: string;
  /** Its executable's full path and command line, from the process table; '' when not known. */
  exe: string;
  cmdline: string;
  /** True when the target is the vigil agent that saw the event. */
  is_agent: boolean;
  /** Processes the call reached (a signal to a process group or to -1 reaches several). */
  count?: number;
}

export interface VigilEvent {
  type: EventType;
  /** Kernel timestamp, ns since the epoch (a double: exact to about 0.25 µs). */
  ts: number;
  /** Syscall return value (evt.rawres); 0 for scheduler events. */
  ret: number;
  proc: ProcessInfo;
  user: UserInfo;
  group: GroupInfo;
  /** The file or socket the event is about, when there is one. */
  fd?: FdInfo;
  /** The second path of rename/link/symlink (evt.arg.newpath etc.), resolved. */
  fd2?: FdInfo;
  /** Falco-rendered evt.arg values. */
  args: EventArgs;
  /** Raw numeric evt.rawarg values. */
  rawargs: Record<string, number>;
  container?: ContainerInfo;
  /** The process the call was aimed at (signals, ptrace), when known. */
  target?: TargetInfo;
  /**
   * evt.buffer: the first bytes of an I/O call's data (sendto, recvfrom), one character per byte
   * (latin1), at most `sensors.snaplen` of them; only when a loaded rule reads evt.buffer on the type.
   */
  buffer?: string;
}
