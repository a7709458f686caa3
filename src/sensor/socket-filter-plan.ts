/**
 * The socket prefilter as the sensor writes it (`vg_sock_filter`) and enter_socket judges a
 * socket(2) call with it (bpf/tracepoints/net.bpf.c). src/plan/socket-filter.ts derives a plan
 * from the rules.
 */

/** Domains the kernel judges (AF_* below this); a socket of a larger domain is always reported. */
export const SOCK_DOMAINS = 64;
/** The base socket types (type & 0xf) a mask has a bit for. */
export const SOCK_BASE_TYPES = 16;
/** SOCK_NONBLOCK | SOCK_CLOEXEC: the only flag bits the kernel judges past; any other is reported. */
export const SOCK_TYPE_FLAGS = 0o4000 | 0o2000000;

export interface SocketFilterPlan {
  on: boolean;
  /** Why the filter is off (the first rule that allows any socket), or null. */
  off: string | null;
  /** Rules on socket the plan was derived from. */
  rules: number;
  /** Per domain, bit t set: a socket of base type t in that domain is dropped. All 0 when off. */
  drop: Uint32Array;
}

export const NO_SOCKET_FILTER: SocketFilterPlan = {
  on: false,
  off: 'not set',
  rules: 0,
  drop: new Uint32Array(SOCK_DOMAINS),
};

/** Whether the kernel reports socket(domain, type) under this plan (a model of enter_socket). */
export function socketReported(plan: SocketFilterPlan, domain: number, type: number): boolean {
  if (domain < 0 || domain >= SOCK_DOMAINS || (type & ~0xf & ~SOCK_TYPE_FLAGS) !== 0) return true;
  return ((plan.drop[domain] >>> (type & 0xf)) & 1) === 0;
}
