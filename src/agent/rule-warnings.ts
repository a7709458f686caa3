/**
 * The warnings of a loaded ruleset (unknown lists, fields vigil cannot fill...), one log line each,
 * with the text `vigil rules check` prints: `vigil run` logs them at start and after each reload.
 */
import type { Logger } from 'pino';
import { warningReport } from '../engine/rules/diagnostics.js';
import type { Ruleset } from '../engine/ruleset.js';

export function logRuleWarnings(logger: Logger, ruleset: Ruleset): void {
  for (const w of ruleset.info.warnings) {
    const { text, ...where } = warningReport(w);
    logger.warn(where, text);
  }
}
