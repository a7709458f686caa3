/**
 * What `vigil doctor` says about container metadata: each runtime socket
 * found (configured, or the usual ones) and whether it answers.
 */
import { existsSync } from 'node:fs';
import { openSources } from './open-sources.js';
import type { RuntimeApi } from './source.js';

export interface RuntimeCheck {
  id: string;
  title: string;
  status: 'ok' | 'warn' | 'info';
  detail: string;
  meaning: string;
}

export async function runtimeChecks(
  runtimes: readonly { type: RuntimeApi; socket: string }[],
  timeoutMs: number,
  enabled = true,
): Promise<RuntimeCheck[]> {
  const title = 'container runtime';
  if (!enabled) {
    return [
      {
        id: 'container_runtime',
        title,
        status: 'info',
        detail: 'containers.enabled is false',
        meaning: 'container metadata is limited to ids (and pods from the kubelet directories)',
      },
    ];
  }
  const sources = openSources(runtimes, timeoutMs).filter((s) => existsSync(s.socket));
  if (sources.length === 0) {
    return [
      {
        id: 'container_runtime',
        title,
        status: 'info',
        detail:
          runtimes.length > 0 ? 'none of the configured sockets exists' : 'no container runtime socket found',
        meaning: 'container metadata is limited to ids (and pods from the kubelet directories)',
      },
    ];
  }
  const checks = await Promise.all(
    sources.map(async (s): Promise<RuntimeCheck> => {
      try {
        const version = await s.probe();
        return {
          id: 'container_runtime',
          title,
          status: 'ok',
          detail: `${s.socket}: ${version}`,
          meaning: 'alerts carry container names, images, labels, privileged flag and pod labels',
        };
      } catch (err) {
        return {
          id: 'container_runtime',
          title,
          status: 'warn',
          detail: `${s.socket} (${s.api}) does not answer: ${(err as Error).message.split('\n')[0]}`,
          meaning: 'its containers are known by id only until it answers',
        };
      } finally {
        s.close();
      }
    }),
  );
  return checks;
}
