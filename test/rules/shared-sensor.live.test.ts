/**
 * The rule live files in one process, so with one sensor (test/live/harness.ts keeps one per
 * process) and one load of each ruleset: run alone, each file loads, attaches and detaches every
 * probe for a few tests, the larger part of its time. `make test` runs this file instead of them;
 * each still runs alone with `node --test dist/test/rules/FILE.live.test.js`.
 *
 * Tests keep their files' order and run one at a time, each on its own process tree. A file that
 * changes the sensor or the host for the rest of its process is in ALONE and runs by itself
 * (keep the Makefile's RULES_ALONE in step): shadow-evasion turns the open prefilter on and
 * bind-mounts /etc before the sensor starts.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ALONE = new Set(['shadow-evasion']);

const self = fileURLToPath(import.meta.url);
const suffix = `.live.test${self.endsWith('.ts') ? '.ts' : '.js'}`;

/** This directory's live rule files but this one and ALONE, by name. */
export function sharedFiles(): string[] {
  return readdirSync(dirname(self))
    .filter((f) => f.endsWith(suffix) && f !== basename(self) && !ALONE.has(f.slice(0, -suffix.length)))
    .sort();
}

// One after the other, so the tests run in the same order every time. A file's top-level
// before() hooks still run before its own tests (node:test runs a root hook added late first).
for (const f of sharedFiles()) await import(pathToFileURL(join(dirname(self), f)).href);
