/** The runtime sources of a configuration: the sockets listed, or the usual ones. */
import { CriSource } from './cri-source.js';
import { DockerSource } from './docker-source.js';
import { DEFAULT_SOCKETS, type RuntimeApi, type RuntimeSource } from './source.js';

export function openSources(
  runtimes: readonly { type: RuntimeApi; socket: string }[],
  timeoutMs: number,
): RuntimeSource[] {
  const list = runtimes.length > 0 ? runtimes : DEFAULT_SOCKETS;
  return list.map((r) =>
    r.type === 'cri' ? new CriSource(r.socket, timeoutMs) : new DockerSource(r.socket, timeoutMs),
  );
}
