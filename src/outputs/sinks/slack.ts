/** Slack incoming webhook: one POST per batch, its payload built by formats/slack-message.ts. */
import type { Alert } from '../../event/alert.js';
import type { SlackSinkConfig } from '../config.js';
import { slackPayload } from '../formats/slack-message.js';
import type { AlertSummary, Delivery, Sink } from '../sink.js';
import { httpPost, httpTarget, type HttpTarget } from './http-client.js';
import type { SinkContext } from './sink-factory.js';

export class SlackSink implements Sink {
  private readonly target: HttpTarget;
  private readonly groupAbove: number;
  private readonly extra: Record<string, string> = {};

  constructor(cfg: SlackSinkConfig, ctx: SinkContext) {
    ctx.redactor.addUrl(cfg.webhook_url);
    this.target = httpTarget(cfg.webhook_url, ctx.where, cfg);
    this.groupAbove = cfg.group_above ?? 3;
    if (cfg.username) this.extra.username = cfg.username;
    if (cfg.icon_emoji) this.extra.icon_emoji = cfg.icon_emoji;
  }

  async send(d: Delivery): Promise<void> {
    const alerts: Alert[] = [];
    const summaries: AlertSummary[] = [];
    for (const it of d.items) {
      if (it.alert) alerts.push(it.alert);
      else summaries.push(it.summary);
    }
    const body = JSON.stringify(slackPayload(alerts, summaries, this.groupAbove, this.extra));
    await httpPost(this.target, body, { 'content-type': 'application/json' });
  }

  async close(): Promise<void> {
    this.target.agent.destroy();
  }
}
