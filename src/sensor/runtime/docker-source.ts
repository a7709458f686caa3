/**
 * Container metadata over the Docker Engine API (Docker, and Podman's
 * compatible socket): plain HTTP/1.1 on the unix socket with Node's http
 * module. GET /containers/{id}/json gives name, image, labels, the
 * privileged flag and the start time; GET /images/{id}/json the registry
 * digest (kept per image). GET /events follows starts and stops.
 */
import { request, type IncomingMessage } from 'node:http';
import { imageFields, type RuntimeMetadata } from './metadata.js';
import type { RuntimeEvent, RuntimeSource } from './source.js';

/** Replies larger than this are refused (an inspect document is a few kB). */
const MAX_BODY = 4 * 1024 * 1024;
const MAX_IMAGES = 512;
const API = '/v1.41';

interface Inspect {
  Name?: string;
  Image?: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null };
  HostConfig?: { Privileged?: boolean };
  State?: { StartedAt?: string };
}

export class DockerSource implements RuntimeSource {
  readonly api = 'docker' as const;
  private readonly digests = new Map<string, string>();

  constructor(
    readonly socket: string,
    private readonly timeoutMs: number,
  ) {}

  async lookup(fullId: string): Promise<RuntimeMetadata | null> {
    const c = await this.get<Inspect>(`/containers/${fullId}/json`);
    if (c === null) return null;
    const imageId = c.Image ?? '';
    const digest = imageId === '' ? '' : await this.digest(imageId);
    const meta: RuntimeMetadata = {
      ...imageFields(c.Config?.Image ?? '', digest, imageId),
      labels: c.Config?.Labels ?? {},
    };
    if (c.Name) meta.name = c.Name.replace(/^\//, '');
    if (c.HostConfig?.Privileged !== undefined) meta.privileged = c.HostConfig.Privileged;
    const started = Date.parse(c.State?.StartedAt ?? '');
    if (started > 0) meta.start_ts = started * 1e6;
    const labels = meta.labels!;
    // Pods run by cri-dockerd: the kubelet's labels name the pod.
    const podName = labels['io.kubernetes.pod.name'];
    if (podName) {
      meta.pod = {
        name: podName,
        namespace: labels['io.kubernetes.pod.namespace'] ?? '',
        uid: labels['io.kubernetes.pod.uid'] ?? '',
      };
      if (labels['io.kubernetes.container.name']) meta.name = labels['io.kubernetes.container.name'];
    }
    return meta;
  }

  /** `<repo>@sha256:<hex>` of the image, '' when it has none (built locally). */
  private async digest(imageId: string): Promise<string> {
    const hit = this.digests.get(imageId);
    if (hit !== undefined) return hit;
    const img = await this.get<{ RepoDigests?: string[] | null }>(
      `/images/${encodeURIComponent(imageId)}/json`,
    );
    const d = img?.RepoDigests?.[0] ?? '';
    if (this.digests.size >= MAX_IMAGES) this.digests.delete(this.digests.keys().next().value!);
    this.digests.set(imageId, d);
    return d;
  }

  /** GET a JSON document; null on 404. */
  private get<T>(path: string): Promise<T | null> {
    return new Promise((resolve, reject) => {
      const req = request(
        { socketPath: this.socket, path: API + path, method: 'GET', timeout: this.timeoutMs },
        (res) => {
          readBody(res)
            .then((body) => {
              if (res.statusCode === 404) return resolve(null);
              if (res.statusCode !== 200) {
                return reject(
                  new Error(
                    `Docker API ${path} on ${this.socket}: HTTP ${res.statusCode} ${body.slice(0, 200)}`,
                  ),
                );
              }
              resolve(JSON.parse(body) as T);
            })
            .catch(reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`Docker API ${path} on ${this.socket}: no answer in ${this.timeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end();
    });
  }

  watch(onEvent: (e: RuntimeEvent) => void, onEnd: (err: Error) => void): () => void {
    const filters = encodeURIComponent(JSON.stringify({ type: ['container'], event: ['start', 'destroy'] }));
    let ended = false;
    const end = (err: Error) => {
      if (!ended) onEnd(err);
      ended = true;
    };
    const req = request(
      { socketPath: this.socket, path: `${API}/events?filters=${filters}`, method: 'GET' },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return end(new Error(`Docker API /events on ${this.socket}: HTTP ${res.statusCode}`));
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          if (buf.length > MAX_BODY) return req.destroy(new Error('Docker API /events: line too long'));
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            const e = parseEvent(line);
            if (e !== null) onEvent(e);
          }
        });
        res.on('end', () => end(new Error(`Docker API /events on ${this.socket}: the stream ended`)));
      },
    );
    req.on('error', end);
    req.end();
    return () => {
      ended = true;
      req.destroy();
    };
  }

  async probe(): Promise<string> {
    const v = await this.get<{ Version?: string; ApiVersion?: string; Components?: { Name?: string }[] }>(
      '/version',
    );
    const name = v?.Components?.[0]?.Name ?? 'Engine';
    return `${name} ${v?.Version ?? '?'} (Docker API ${v?.ApiVersion ?? '?'})`;
  }

  close(): void {}
}

function parseEvent(line: string): RuntimeEvent | null {
  try {
    const e = JSON.parse(line) as { Action?: string; Actor?: { ID?: string } };
    const id = e.Actor?.ID;
    if (!id) return null;
    if (e.Action === 'start') return { id, kind: 'start' };
    if (e.Action === 'destroy') return { id, kind: 'stop' };
  } catch {
    // not a JSON line: skipped
  }
  return null;
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts: Buffer[] = [];
    res.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_BODY) return res.destroy(new Error(`reply over ${MAX_BODY} bytes`));
      parts.push(b);
    });
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.on('error', reject);
  });
}
