/**
 * Email over SMTP (nodemailer): STARTTLS (required by default), implicit TLS, or none; optional
 * auth. Alerts at or above immediate_priority get one mail each; the rest of a batch, and any
 * summaries, go into one digest. Every mail has a plain-text and an HTML part.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Alert } from '../../event/alert.js';
import type { EmailSinkConfig } from '../config.js';
import { alertFacts, oneLine } from '../format-text.js';
import type { AlertSummary, Delivery, Output } from '../output.js';
import { DeliveryError, parsePriority, priorityRank, summaryText } from '../output.js';
import type { SinkContext } from './index.js';

export interface Mail {
  subject: string;
  text: string;
  html: string;
}

function esc(s: string): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const HTML_COLOURS = ['#a30200', '#a30200', '#d00000', '#e8590c', '#b58900', '#2f80ed', '#5f6b7a', '#8a949e'];

function alertText(a: Alert): string {
  return `${oneLine(a.output)}\n\n${alertFacts(a)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n')}\nAlert id: ${a.uuid}\n`;
}

function alertHtml(a: Alert): string {
  const rows = alertFacts(a)
    .map(([k, v]) => `<tr><th align="left" style="padding-right:12px">${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('');
  const colour = HTML_COLOURS[priorityRank(a.priority)];
  return (
    `<div style="border-left:4px solid ${colour};padding-left:10px;margin-bottom:16px">` +
    `<p><b>${esc(a.rule)}</b> <span style="color:${colour}">${esc(a.priority)}</span></p>` +
    `<p><code>${esc(oneLine(a.output))}</code></p><table>${rows}</table>` +
    `<p style="color:#888;font-size:small">alert id ${esc(a.uuid)}</p></div>`
  );
}

export function alertMail(a: Alert, prefix: string): Mail {
  return {
    subject: `${prefix} ${a.priority}: ${a.rule} on ${a.hostname}`,
    text: alertText(a),
    html: `<html><body>${alertHtml(a)}</body></html>`,
  };
}

export function digestMail(alerts: Alert[], summaries: AlertSummary[], prefix: string): Mail {
  const hosts = [...new Set([...alerts.map((a) => a.hostname), ...summaries.map((s) => s.hostname)])];
  const byPrio = new Map<string, number>();
  for (const a of alerts) byPrio.set(a.priority, (byPrio.get(a.priority) ?? 0) + 1);
  const counts = [...byPrio].map(([p, n]) => `${p}: ${n}`).join(', ');
  const n = alerts.length;
  const subject = `${prefix} digest: ${n} alert${n === 1 ? '' : 's'}${counts ? ` (${counts})` : ''} on ${hosts.slice(0, 3).join(', ')}`;
  const text = [
    ...summaries.map((s) => `${summaryText(s)} on ${s.hostname}`),
    ...alerts.map((a) => `[${a.time}] ${a.priority} ${a.rule}\n${alertText(a)}`),
  ].join('\n----\n');
  const html =
    `<html><body><h3>${esc(subject)}</h3>` +
    summaries.map((s) => `<p><i>${esc(summaryText(s))} on ${esc(s.hostname)}</i></p>`).join('') +
    alerts.map(alertHtml).join('') +
    '</body></html>';
  return { subject, text, html };
}

export class EmailSink implements Output {
  private readonly transport: Transporter;
  private readonly immediateRank: number;
  private readonly prefix: string;
  /** How far a retried delivery already got (mails sent), so a retry does not resend them. */
  private progress?: { id: string; sent: number };

  constructor(
    private readonly cfg: EmailSinkConfig,
    ctx: SinkContext,
  ) {
    const mode = cfg.tls ?? 'starttls';
    const pass = cfg.password;
    ctx.redactor.add(pass);
    const timeout = cfg.timeout_ms ?? 10_000;
    this.transport = nodemailer.createTransport({
      host: cfg.host,
      port: cfg.port ?? (mode === 'implicit' ? 465 : 587),
      secure: mode === 'implicit',
      requireTLS: mode === 'starttls',
      ignoreTLS: mode === 'none',
      auth: cfg.user !== undefined ? { user: cfg.user, pass: pass ?? '' } : undefined,
      tls: {
        ca: cfg.ca_file ? readFileSync(cfg.ca_file) : undefined,
        rejectUnauthorized: cfg.reject_unauthorized ?? true,
        servername: net.isIP(cfg.host) ? undefined : cfg.host,
      },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout * 3,
      pool: false,
      logger: false,
    });
    this.immediateRank = priorityRank(parsePriority(cfg.immediate_priority ?? 'Critical'));
    this.prefix = cfg.subject_prefix ?? '[vigil]';
  }

  /** The mails for one batch, in a fixed order (so a retry can skip those already sent). */
  mails(d: Delivery): Mail[] {
    const mails: Mail[] = [];
    const rest: Alert[] = [];
    const summaries: AlertSummary[] = [];
    for (const it of d.items) {
      if (it.summary) summaries.push(it.summary);
      else if (priorityRank(it.alert.priority) <= this.immediateRank)
        mails.push(alertMail(it.alert, this.prefix));
      else rest.push(it.alert);
    }
    if (rest.length || summaries.length) mails.push(digestMail(rest, summaries, this.prefix));
    return mails;
  }

  async send(d: Delivery): Promise<void> {
    const mails = this.mails(d);
    if (this.progress?.id !== d.id) this.progress = { id: d.id, sent: 0 };
    for (let i = this.progress.sent; i < mails.length; i++) {
      try {
        await this.transport.sendMail({ from: this.cfg.from, to: this.cfg.to, ...mails[i] });
      } catch (err) {
        const e = err as { responseCode?: number; code?: string; message?: string };
        // 5xx is permanent for SMTP, except authentication: fixable by the operator, keep the alerts.
        const permanent = (e.responseCode ?? 0) >= 500 && e.code !== 'EAUTH';
        throw new DeliveryError(`smtp ${this.cfg.host}: ${e.message ?? String(err)}`, !permanent);
      }
      this.progress.sent = i + 1;
    }
    this.progress = undefined;
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
