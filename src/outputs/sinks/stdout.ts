/**
 * Alerts on stdout: human lines on a terminal, the alert JSON one per line otherwise (or with
 * --json). Written through pino's non-blocking destination (sonic-boom), so a slow terminal or
 * pipe never stalls the event loop; memory is capped (maxLength) and excess is counted as dropped.
 */
import pino from 'pino';
import type { StdoutSinkConfig } from '../config.js';
import { alertLine, summaryLine } from '../formats/alert-text.js';
import type { Delivery, Sink } from '../sink.js';
import type { SinkContext } from './sink-factory.js';

const MAX_BUFFERED = 16 * 1024 * 1024;

export class StdoutSink implements Sink {
  private readonly dest: ReturnType<typeof pino.destination>;
  private readonly json: boolean;
  private readonly color: boolean;

  constructor(cfg: StdoutSinkConfig, ctx: SinkContext, fd = 1) {
    const format = cfg.format ?? 'auto';
    this.json = format === 'json' || (format === 'auto' && !ctx.isTTY);
    this.color = cfg.color ?? ctx.isTTY;
    this.dest = pino.destination({ dest: fd, sync: false, minLength: 0, maxLength: MAX_BUFFERED });
    this.dest.on('error', (err: Error) => ctx.logger.warn({ err: err.message }, 'stdout write failed'));
  }

  async send(d: Delivery): Promise<void> {
    let out = '';
    for (const it of d.items) {
      if (it.alert)
        out += (this.json ? (it.json ?? JSON.stringify(it.alert)) : alertLine(it.alert, this.color)) + '\n';
      else
        out +=
          (this.json ? JSON.stringify({ vigil_summary: it.summary }) : summaryLine(it.summary, this.color)) +
          '\n';
    }
    this.dest.write(out);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.dest.flush(() => resolve()));
  }
}
