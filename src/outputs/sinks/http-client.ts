/**
 * One POST over node:http/https with keep-alive, a timeout, a custom CA, and a bounded response
 * read, mapping outcomes to DeliveryError: network errors, 408, 425, 429 and 5xx are retryable;
 * other 4xx are not (resending the same payload cannot succeed). A `Retry-After` header on a
 * retryable answer goes with the error, so the runner waits as long as the service asked. URLs in
 * messages are redacted.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { OutputConfigError } from '../config.js';
import { redactUrl } from '../redactor.js';
import { DeliveryError } from '../sink.js';

export interface HttpTarget {
  url: URL;
  agent: http.Agent;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  body: string;
}

const MAX_RESPONSE = 1024 * 1024;

export function httpTarget(
  rawUrl: string,
  where: string,
  opts: { timeout_ms?: number; ca_file?: string; reject_unauthorized?: boolean },
): HttpTarget {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new OutputConfigError(`${where}: invalid url`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutputConfigError(`${where}: url must be http or https (${redactUrl(url)})`);
  }
  const agent =
    url.protocol === 'https:'
      ? new https.Agent({
          keepAlive: true,
          maxSockets: 4,
          ca: opts.ca_file ? readFileSync(opts.ca_file) : undefined,
          rejectUnauthorized: opts.reject_unauthorized ?? true,
        })
      : new http.Agent({ keepAlive: true, maxSockets: 4 });
  return { url, agent, timeoutMs: opts.timeout_ms ?? 10_000 };
}

export function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** The longest `Retry-After` honoured: a service asking for more is retried after this. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * `Retry-After` (RFC 9110 10.2.3) in milliseconds from `now`: delay-seconds or an HTTP-date.
 * Undefined when absent or unreadable; capped at MAX_RETRY_AFTER_MS.
 */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (!Number.isFinite(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** POSTs and resolves on 2xx; throws DeliveryError otherwise. */
export function httpPost(
  t: HttpTarget,
  body: string,
  headers: Record<string, string>,
  url: URL = t.url,
): Promise<HttpResponse> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'POST',
        agent: t.agent,
        headers: { 'content-length': Buffer.byteLength(body), ...headers },
        timeout: t.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_RESPONSE) chunks.push(c);
        });
        res.on('error', (err) => reject(new DeliveryError(`POST ${redactUrl(url)}: ${err.message}`, true)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          if (status >= 200 && status < 300) return resolve({ status, body: text });
          const snippet = text.slice(0, 200).replace(/\s+/g, ' ');
          const retryable = retryableStatus(status);
          reject(
            new DeliveryError(
              `POST ${redactUrl(url)}: HTTP ${status}${snippet ? ` ${snippet}` : ''}`,
              retryable,
              retryable ? retryAfterMs(res.headers['retry-after']) : undefined,
            ),
          );
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response within ${t.timeoutMs} ms`)));
    req.on('error', (err) => reject(new DeliveryError(`POST ${redactUrl(url)}: ${err.message}`, true)));
    req.end(body);
  });
}
