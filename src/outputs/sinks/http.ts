/**
 * HTTP sink: generic webhook, Splunk HEC, Elasticsearch _bulk, or Falco's HTTP output shape (so a
 * falcosidekick pointed at vigil forwards alerts everywhere it supports). An optional JSONata
 * transform, compiled once here, shapes each alert (e.g. into ECS or OCSF) in the sink, never on
 * the detection path. The delivery id goes out as Idempotency-Key.
 */
import jsonata from 'jsonata';
import type { Alert } from '../../event/alert.js';
import type { HttpSinkConfig } from '../config.js';
import { httpPost, httpTarget, type HttpTarget } from '../http-client.js';
import { bulkLines, bulkOutcome, falcoPayload, falcoSummaryPayload, hecEvent } from '../http-formats.js';
import type { Delivery, Output } from '../output.js';
import { DeliveryError, summaryText } from '../output.js';
import type { SinkContext } from './index.js';

type Format = NonNullable<HttpSinkConfig['format']>;

export class HttpSink implements Output {
  private readonly format: Format;
  private readonly target: HttpTarget;
  private readonly headers: Record<string, string> = {};
  private readonly transform?: jsonata.Expression;
  private readonly index: string;
  private readonly sourcetype: string;
  /** Falco format posts one alert at a time: how far a retried delivery already got. */
  private progress?: { id: string; sent: number };

  constructor(
    cfg: HttpSinkConfig,
    private readonly ctx: SinkContext,
  ) {
    this.format = cfg.format ?? 'webhook';
    ctx.redactor.addUrl(cfg.url);
    this.target = httpTarget(cfg.url, ctx.where, cfg);
    const path = this.target.url.pathname;
    if (this.format === 'splunk-hec' && (path === '/' || path === ''))
      this.target.url.pathname = '/services/collector/event';
    if (this.format === 'elastic-bulk' && !path.endsWith('/_bulk')) {
      this.target.url.pathname = `${path.replace(/\/$/, '')}/_bulk`;
    }
    this.index = cfg.index ?? 'vigil-alerts';
    this.sourcetype = cfg.sourcetype ?? 'vigil:alert';

    this.headers['content-type'] =
      this.format === 'elastic-bulk' ? 'application/x-ndjson' : 'application/json';
    this.headers['user-agent'] = 'vigil';
    const { token, password, api_key: apiKey } = cfg;
    for (const s of [token, password, apiKey]) ctx.redactor.add(s);
    if (token) this.headers.authorization = `Splunk ${token}`;
    else if (apiKey) this.headers.authorization = `ApiKey ${apiKey}`;
    else if (cfg.username !== undefined) {
      this.headers.authorization = `Basic ${Buffer.from(`${cfg.username}:${password ?? ''}`).toString('base64')}`;
    }
    for (const [k, v] of Object.entries(cfg.headers ?? {})) {
      ctx.redactor.add(v);
      this.headers[k.toLowerCase()] = v;
    }
    // Compiled once here; its syntax was checked with the config (config-check.ts).
    if (cfg.transform !== undefined) this.transform = jsonata(cfg.transform);
  }

  async send(d: Delivery): Promise<void> {
    const headers = { ...this.headers, 'idempotency-key': d.id };
    switch (this.format) {
      case 'webhook': {
        // Untransformed alerts reuse the JSON serialised once at commit.
        const parts: string[] = [];
        for (const it of d.items) {
          if (it.summary) parts.push(JSON.stringify({ vigil_summary: it.summary }));
          else if (!this.transform && it.json) parts.push(it.json);
          else {
            const docs: unknown[] = [];
            await this.shape(it.alert, docs);
            for (const doc of docs) parts.push(JSON.stringify(doc));
          }
        }
        if (parts.length) await httpPost(this.target, `[${parts.join(',')}]`, headers);
        return;
      }
      case 'splunk-hec': {
        let body = '';
        for (const it of d.items) {
          const o = {
            sourcetype: this.sourcetype,
            index: this.index === 'vigil-alerts' ? undefined : this.index,
          };
          if (it.summary) {
            body +=
              hecEvent({ vigil_summary: it.summary }, it.summary.last_time, it.summary.hostname, o) + '\n';
            continue;
          }
          const docs: unknown[] = [];
          await this.shape(it.alert, docs);
          for (const doc of docs) body += hecEvent(doc, it.alert.time, it.alert.hostname, o) + '\n';
        }
        if (body) await httpPost(this.target, body, headers);
        return;
      }
      case 'elastic-bulk': {
        let body = '';
        d.items.forEach((it, i) => {
          if (it.summary) {
            const doc = { '@timestamp': it.summary.last_time, vigil_summary: it.summary };
            body += bulkLines(this.index, `summary-${d.id}-${i}`, doc);
          }
        });
        for (const it of d.items) {
          if (!it.alert) continue;
          const docs: unknown[] = [];
          await this.shape(it.alert, docs, { '@timestamp': it.alert.time });
          for (const doc of docs) body += bulkLines(this.index, it.alert.uuid, doc);
        }
        if (!body) return;
        const res = await httpPost(this.target, body, headers);
        const outcome = bulkOutcome(res.body);
        if (outcome.retryable > 0) {
          throw new DeliveryError(
            `elasticsearch bulk: ${outcome.retryable} items rejected for now (429/5xx)`,
            true,
          );
        }
        if (outcome.refused > 0) {
          this.ctx.logger.error(
            { refused: outcome.refused, reason: this.ctx.redactor.redact(outcome.firstReason ?? '') },
            'elasticsearch refused alerts',
          );
        }
        return;
      }
      case 'falco': {
        if (this.progress?.id !== d.id) this.progress = { id: d.id, sent: 0 };
        for (let i = this.progress.sent; i < d.items.length; i++) {
          const it = d.items[i];
          const docs: unknown[] = [];
          if (it.summary) docs.push(falcoSummaryPayload(it.summary, summaryText(it.summary)));
          else if (this.transform) await this.shape(it.alert, docs);
          else docs.push(falcoPayload(it.alert));
          for (const doc of docs)
            await httpPost(this.target, JSON.stringify(doc), {
              ...headers,
              'idempotency-key': `${d.id}/${i}`,
            });
          this.progress.sent = i + 1;
        }
        this.progress = undefined;
        return;
      }
    }
  }

  /** The alert, transformed when configured; a transform yielding nothing drops the alert. */
  private async shape(alert: Alert, into: unknown[], extra?: Record<string, unknown>): Promise<void> {
    if (!this.transform) {
      into.push(extra ? { ...extra, ...alert } : alert);
      return;
    }
    try {
      const out = await this.transform.evaluate(alert);
      if (out !== undefined && out !== null) into.push(out);
    } catch (err) {
      this.ctx.logger.error(
        { rule: alert.rule, uuid: alert.uuid, err: (err as Error).message },
        'transform failed: alert skipped',
      );
    }
  }

  async close(): Promise<void> {
    this.target.agent.destroy();
  }
}
