/**
 * HTTP sink: generic webhook (a JSON array per batch, or one object per alert for single-event APIs
 * such as PagerDuty, Teams or Loki), Splunk HEC, Elasticsearch _bulk, Falco's own JSON output (so
 * a falcosidekick pointed at vigil forwards alerts everywhere it supports), OpenTelemetry logs
 * (OTLP/HTTP JSON, to a collector's /v1/logs) or OCSF Detection Findings. An optional JSONata
 * transform, compiled once here, shapes each alert (e.g. into ECS or OCSF) in the sink, never on
 * the detection path. The delivery id goes out as Idempotency-Key.
 */
import type jsonata from 'jsonata';
import { compileJsonata } from '../jsonata-expr.js';
import type { Alert } from '../../event/alert.js';
import type { HttpSinkConfig } from '../config.js';
import { summaryText } from '../formats/alert-text.js';
import { bulkLines, bulkOutcome } from '../formats/elastic-bulk.js';
import { falcoJson, falcoSummaryJson } from '../formats/falco-json.js';
import { ocsfFinding, ocsfSummary } from '../formats/ocsf.js';
import { otlpLogsRequest } from '../formats/otlp.js';
import { hecEvent } from '../formats/splunk-hec.js';
import { VIGIL_VERSION } from '../version.js';
import { DeliveryError, type AlertSummary, type Delivery, type Sink } from '../sink.js';
import { httpPost, httpTarget, type HttpTarget } from './http-client.js';
import type { SinkContext } from './sink-factory.js';

type Format = NonNullable<HttpSinkConfig['format']>;

export class HttpSink implements Sink {
  private readonly format: Format;
  private readonly target: HttpTarget;
  private readonly headers: Record<string, string> = {};
  private readonly transform?: jsonata.Expression;
  /** Elasticsearch index. */
  private readonly index: string;
  /** Splunk index: the configured one, always; none (the token's default) when not configured. */
  private readonly hecIndex?: string;
  private readonly sourcetype: string;
  /** The webhook's body: one JSON array per batch, or one JSON object per alert (one POST each). */
  private readonly body: 'array' | 'object';
  /** Formats posting one document at a time: how far a retried delivery already got. */
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
    if (this.format === 'otlp' && (path === '/' || path === '')) this.target.url.pathname = '/v1/logs';
    if (this.format === 'elastic-bulk' && !path.endsWith('/_bulk')) {
      this.target.url.pathname = `${path.replace(/\/$/, '')}/_bulk`;
    }
    this.index = cfg.index ?? 'vigil-alerts';
    this.hecIndex = cfg.index;
    this.sourcetype = cfg.sourcetype ?? 'vigil:alert';
    this.body = cfg.body ?? 'array';

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
    if (cfg.transform !== undefined) this.transform = compileJsonata(cfg.transform);
  }

  async send(d: Delivery): Promise<void> {
    const headers = { ...this.headers, 'idempotency-key': d.id };
    switch (this.format) {
      case 'webhook':
        return this.sendWebhook(d, headers);
      case 'splunk-hec':
        return this.sendHec(d, headers);
      case 'elastic-bulk':
        return this.sendBulk(d, headers);
      case 'falco':
        return this.sendFalco(d, headers);
      case 'otlp':
        if (d.items.length) await httpPost(this.target, otlpLogsRequest(d.items, VIGIL_VERSION), headers);
        return;
      case 'ocsf':
        return this.sendOcsf(d, headers);
    }
  }

  /** OCSF findings as a webhook's body: one JSON array per batch, or (body: object) one POST each. */
  private async sendOcsf(d: Delivery, headers: Record<string, string>): Promise<void> {
    const doc = (it: Delivery['items'][number]): string =>
      JSON.stringify(
        it.alert ? ocsfFinding(it.alert, VIGIL_VERSION) : ocsfSummary(it.summary, VIGIL_VERSION),
      );
    if (this.body === 'object') return this.sendEach(d, headers, async (it) => [doc(it)]);
    if (d.items.length) await httpPost(this.target, `[${d.items.map(doc).join(',')}]`, headers);
  }

  /** One JSON array per batch, or (body: object) one POST per document. */
  private async sendWebhook(d: Delivery, headers: Record<string, string>): Promise<void> {
    if (this.body === 'object') return this.sendEach(d, headers, (it) => this.webhookDocs(it));
    const parts: string[] = [];
    for (const it of d.items) parts.push(...(await this.webhookDocs(it)));
    if (parts.length) await httpPost(this.target, `[${parts.join(',')}]`, headers);
  }

  /** The JSON documents of one item: the alert (its JSON serialised once at commit), or transformed. */
  private async webhookDocs(it: Delivery['items'][number]): Promise<string[]> {
    if (!this.transform) {
      if (it.summary) return [JSON.stringify({ vigil_summary: it.summary })];
      return [it.json ?? JSON.stringify(it.alert)];
    }
    const docs: unknown[] = [];
    await this.shape(it.summary ? summaryDoc(it.summary) : it.alert, docs);
    return docs.map((doc) => JSON.stringify(doc));
  }

  /** One HEC event per line. */
  private async sendHec(d: Delivery, headers: Record<string, string>): Promise<void> {
    let body = '';
    for (const it of d.items) {
      const o = { sourcetype: this.sourcetype, index: this.hecIndex };
      if (it.summary) {
        body += hecEvent({ vigil_summary: it.summary }, it.summary.last_time, it.summary.hostname, o) + '\n';
        continue;
      }
      const docs: unknown[] = [];
      await this.shape(it.alert, docs);
      for (const doc of docs) body += hecEvent(doc, it.alert.time, it.alert.hostname, o) + '\n';
    }
    if (body) await httpPost(this.target, body, headers);
  }

  /** One _bulk request: summaries first, then the alerts, each created under its uuid. */
  private async sendBulk(d: Delivery, headers: Record<string, string>): Promise<void> {
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
  }

  /** One POST per alert, Falco's JSON output (or the transform's result). */
  private sendFalco(d: Delivery, headers: Record<string, string>): Promise<void> {
    return this.sendEach(d, headers, async (it) => {
      if (it.summary) return [falcoSummaryJson(it.summary, summaryText(it.summary))];
      if (!this.transform) return [falcoJson(it.alert)];
      const docs: unknown[] = [];
      await this.shape(it.alert, docs);
      return docs.map((doc) => JSON.stringify(doc));
    });
  }

  /** One POST per document, keyed `<delivery id>/<item>`; a retry resumes after the last acknowledged. */
  private async sendEach(
    d: Delivery,
    headers: Record<string, string>,
    docsOf: (it: Delivery['items'][number]) => Promise<string[]>,
  ): Promise<void> {
    if (this.progress?.id !== d.id) this.progress = { id: d.id, sent: 0 };
    for (let i = this.progress.sent; i < d.items.length; i++) {
      for (const doc of await docsOf(d.items[i]))
        await httpPost(this.target, doc, { ...headers, 'idempotency-key': `${d.id}/${i}` });
      this.progress.sent = i + 1;
    }
    this.progress = undefined;
  }

  /** The alert, transformed when configured; a transform yielding nothing drops the alert. */
  private async shape(
    alert: Alert | SummaryDoc,
    into: unknown[],
    extra?: Record<string, unknown>,
  ): Promise<void> {
    if (!this.transform) {
      into.push(extra ? { ...extra, ...alert } : alert);
      return;
    }
    try {
      const out = await this.transform.evaluate(alert);
      if (out !== undefined && out !== null) into.push(out);
    } catch (err) {
      this.ctx.logger.error(
        { rule: alert.rule, uuid: 'uuid' in alert ? alert.uuid : undefined, err: (err as Error).message },
        'transform failed: alert skipped',
      );
    }
  }

  async close(): Promise<void> {
    this.target.agent.destroy();
  }
}

/** What a transform sees for a summary: the keys of an alert it can read, plus the summary itself. */
interface SummaryDoc {
  time: string;
  rule: string;
  priority: AlertSummary['priority'];
  hostname: string;
  source: 'syscall';
  tags: string[];
  output: string;
  output_fields: Record<string, number>;
  vigil_summary: AlertSummary;
}

function summaryDoc(s: AlertSummary): SummaryDoc {
  return {
    time: s.last_time,
    rule: s.rule,
    priority: s.priority,
    hostname: s.hostname,
    source: 'syscall',
    tags: ['vigil_summary'],
    output: summaryText(s),
    output_fields: { 'vigil.suppressed': s.count },
    vigil_summary: s,
  };
}
