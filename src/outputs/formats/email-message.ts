/**
 * The mails the email sink sends: one per alert, or a digest of several alerts and summaries. Every
 * mail has a plain-text and an HTML part.
 */
import type { Alert } from '../../event/alert.js';
import { priorityRank } from '../priority.js';
import type { AlertSummary } from '../sink.js';
import { alertFacts, oneLine, summaryText } from './alert-text.js';

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
