/**
 * The stdout sink in a child process whose stdout the test reads.
 * Usage: node --import tsx stdout-child.ts auto|json|text tty|pipe
 */
import pino from 'pino';
import { openOutputs } from '../../../src/outputs/index.js';
import { makeAlert } from './alerts.js';

const [format, tty] = process.argv.slice(2) as ['auto' | 'json' | 'text', string];
const out = await openOutputs(
  { store: { enabled: false }, sinks: [{ type: 'stdout', format }] },
  pino({ level: 'warn' }, pino.destination(2)),
  { isTTY: tty === 'tty' },
);
out.submit(makeAlert(1));
out.submit(makeAlert(2, { priority: 'Critical', action: 'killed' }));
await out.close();
