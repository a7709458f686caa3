/**
 * Email over SMTP (nodemailer): STARTTLS (required by default), implicit TLS, or none; optional
 * auth. Alerts at or above immediate_priority get one mail each, and end the batch wait (the sink
 * runner sends their batch at once); the rest of a batch, and any summaries, go into one digest.
 * Every mail has a plain-text and an HTML part.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Alert } from '../../event/alert.js';
import type { EmailSinkConfig } from '../config.js';
import { alertMail, digestMail, type Mail } from '../formats/email-message.js';
import { parsePriority, priorityRank } from '../priority.js';
import { DeliveryError, type AlertSummary, type Delivery, type Sink } from '../sink.js';
import type { SinkContext } from './sink-factory.js';

/** The rank of immediate_priority: alerts this severe or more get a mail each, sent without waiting. */
export function immediateRank(cfg: EmailSinkConfig): number {
  return priorityRank(parsePriority(cfg.immediate_priority ?? 'Critical'));
}

export class EmailSink implements Sink {
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
    this.immediateRank = immediateRank(cfg);
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
