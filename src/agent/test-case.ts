/**
 * Runs one rule test case (`vigil rules test`) through detect(), against a ruleset evaluated with
 * every matching rule (`rule_matching: all`), so "exactly these alerts" means what it says.
 */
import type { Alert } from '../event/alert.js';
import type { RuleTestCase } from '../engine/rule-tests/cases.js';
import { detect, type Detector } from './detect.js';

export interface CaseResult {
  case: RuleTestCase;
  /** Empty when the case passed. */
  failures: string[];
}

export function runTestCase(detector: Detector, c: RuleTestCase): CaseResult {
  const failures: string[] = [];
  const alerts: Alert[] = [];
  detect(c.event, detector, alerts);
  const fired = alerts.map((a) => a.rule);
  const wanted = c.alerts.map((a) => a.rule);
  for (const w of wanted) if (!fired.includes(w)) failures.push(`expected rule '${w}' to fire; it did not`);
  for (const f of fired) if (!wanted.includes(f)) failures.push(`rule '${f}' fired; it was not expected`);
  for (const exp of c.alerts) {
    const got = alerts.find((a) => a.rule === exp.rule);
    if (!got) continue;
    if (exp.output !== undefined && got.output !== exp.output) {
      failures.push(
        `rule '${exp.rule}': output\n      expected: ${exp.output}\n      actual:   ${got.output}`,
      );
    }
    for (const [k, v] of Object.entries(exp.output_fields ?? {})) {
      const actual = got.output_fields[k];
      if (String(actual) !== String(v)) {
        failures.push(
          `rule '${exp.rule}': output_fields['${k}'] is ${JSON.stringify(actual)}, expected ${JSON.stringify(v)}`,
        );
      }
    }
  }
  return { case: c, failures };
}
