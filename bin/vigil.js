#!/usr/bin/env -S node --max-semi-space-size=2
// --max-semi-space-size=2: the agent allocates fast and keeps little; V8's default young generation
// (2 x 16 MiB here) would be a fifth of its RSS (docs/performance.md, memory).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2)));
