/**
 * Slack incoming-webhook payloads with Block Kit: each alert an attachment coloured by priority (rule,
 * host, container, process and its parents, the rendered output). A batch of more than group_above
 * alerts becomes one grouped message, one attachment per rule, so a burst is one post, not fifty.
 */
import type { Alert } from '../../event/alert.js';
import { priorityRank } from '../priority.js';
import type { AlertSummary } from '../sink.js';
import { alertFacts, oneLine, summaryText } from './alert-text.js';

/** Red for the three most severe levels, orange Error, yellow Warning, blue Notice, grey below. */
const COLOURS = ['#a30200', '#a30200', '#d00000', '#e8590c', '#f2c744', '#2f80ed', '#9aa5b1', '#c6ccd2'];
const MAX_ATTACHMENTS = 20;
const MAX_TEXT = 2900;

export function slackColour(priority: string): string {
  return COLOURS[priorityRank(priority)];
}

/** Slack's mrkdwn needs &, < and > escaped. */
export function mrkdwn(s: string): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(s: string, n = MAX_TEXT): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

type Block = Record<string, unknown>;
interface Attachment {
  color: string;
  fallback: string;
  blocks: Block[];
}

function alertAttachment(a: Alert): Attachment {
  const facts = alertFacts(a).filter(([k]) => k !== 'Rule');
  return {
    color: slackColour(a.priority),
    fallback: `${a.priority}: ${a.rule}: ${oneLine(a.output)}`,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: clip(`*${mrkdwn(a.rule)}*\n${mrkdwn(oneLine(a.output))}`) },
      },
      {
        type: 'section',
        fields: facts
          .slice(0, 10)
          .map(([k, v]) => ({ type: 'mrkdwn', text: clip(`*${k}*\n${mrkdwn(v)}`, 1900) })),
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `vigil · ${mrkdwn(a.uuid)}` }] },
    ],
  };
}

function summaryAttachment(s: AlertSummary): Attachment {
  const text = summaryText(s);
  return {
    color: slackColour(s.priority),
    fallback: text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(`${mrkdwn(text)} on ${mrkdwn(s.hostname)}`) } },
    ],
  };
}

function groupAttachment(alerts: Alert[]): Attachment {
  const worst = alerts.reduce(
    (w, a) => (priorityRank(a.priority) < priorityRank(w.priority) ? a : w),
    alerts[0],
  );
  const hosts = [...new Set(alerts.map((a) => a.hostname))];
  const lines = alerts.slice(0, 5).map((a) => `• ${mrkdwn(oneLine(a.output))}`);
  if (alerts.length > 5) lines.push(`…and ${alerts.length - 5} more`);
  return {
    color: slackColour(worst.priority),
    fallback: `${alerts.length} × ${worst.rule}`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: clip(
            `*${mrkdwn(worst.rule)}* — ${alerts.length} alert${alerts.length > 1 ? 's' : ''} (${worst.priority})\n${lines.join('\n')}`,
          ),
        },
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: clip(`hosts: ${mrkdwn(hosts.slice(0, 10).join(', '))}`, 1900) }],
      },
    ],
  };
}

/** The webhook payload for one batch (exported for tests and docs). */
export function slackPayload(
  alerts: Alert[],
  summaries: AlertSummary[],
  groupAbove: number,
  extra: Record<string, string> = {},
): Record<string, unknown> {
  let attachments: Attachment[];
  let text: string;
  if (alerts.length > groupAbove) {
    const byRule = new Map<string, Alert[]>();
    for (const a of alerts) (byRule.get(a.rule) ?? byRule.set(a.rule, []).get(a.rule)!).push(a);
    const groups = [...byRule.values()].sort(
      (x, y) => priorityRank(x[0].priority) - priorityRank(y[0].priority),
    );
    attachments = groups.map(groupAttachment);
    text = `:rotating_light: ${alerts.length} alerts from ${byRule.size} rule${byRule.size > 1 ? 's' : ''}`;
  } else {
    attachments = alerts.map(alertAttachment);
    text =
      alerts.length === 1
        ? `:rotating_light: ${alerts[0].priority}: ${mrkdwn(alerts[0].rule)}`
        : `:rotating_light: ${alerts.length} alerts`;
  }
  attachments.push(...summaries.map(summaryAttachment));
  if (alerts.length === 0) text = summaries.map(summaryText).join('\n');
  if (attachments.length > MAX_ATTACHMENTS) {
    const rest = attachments.length - (MAX_ATTACHMENTS - 1);
    attachments = attachments.slice(0, MAX_ATTACHMENTS - 1);
    attachments.push({
      color: '#9aa5b1',
      fallback: `${rest} more`,
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `…and ${rest} more groups (see \`vigil alerts\`)` },
        },
      ],
    });
  }
  return { ...extra, text: clip(text), attachments };
}
