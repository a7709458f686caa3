/**
 * A real HTTP server on 127.0.0.1 that records what it receives, for sink tests. `respond` decides
 * the status per request (to simulate outages). Honours Idempotency-Key the way a receiver that
 * wants exactly-once does: a request whose key it already acknowledged is answered 200 again and
 * not recorded twice (counted in `replays`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  /** When it arrived (ms epoch). */
  at: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  requests: Received[];
  replays: number;
  /** Resolves once `pred` holds for the recorded requests (checked on each request). */
  until(pred: (reqs: Received[]) => boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(
  respond: (req: Received) => { status: number; body?: string; headers?: Record<string, string> } = () => ({
    status: 200,
    body: 'ok',
  }),
  opts: { idempotent?: boolean } = {},
): Promise<Receiver> {
  const requests: Received[] = [];
  const seenKeys = new Set<string>();
  const waiters: { pred: (r: Received[]) => boolean; resolve: () => void }[] = [];
  const rec: Receiver = {
    url: '',
    requests,
    replays: 0,
    until(pred) {
      if (pred(requests)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        at: Date.now(),
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const key = req.headers['idempotency-key'];
      if (opts.idempotent && typeof key === 'string' && seenKeys.has(key)) {
        rec.replays++;
        res.writeHead(200).end('ok');
        return;
      }
      const out = respond(r);
      if (out.status >= 200 && out.status < 300) {
        requests.push(r);
        if (opts.idempotent && typeof key === 'string') seenKeys.add(key);
      }
      res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers }).end(out.body ?? '');
      for (const w of waiters.splice(0)) {
        if (w.pred(requests)) w.resolve();
        else waiters.push(w);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rec.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return rec;
}
