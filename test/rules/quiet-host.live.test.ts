/**
 * Quiet host: a realistic benign workload (what a developer box or CI runner does all day) runs under
 * the bundled rules on the real kernel; any alert of priority NOTICE or above fails the test.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ruleRunner, scratch } from './support.js';

const dir = scratch('quiet');
after(() => rmSync(dir, { recursive: true, force: true }));

const LOUD = new Set(['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice']);

const HELLO_C = `#include <stdio.h>
#include <stdlib.h>
int main(void) { char *p = malloc(64); snprintf(p, 64, "hello %d", 42); puts(p); free(p); return 0; }
`;

const NODE_JS = `const fs = require('node:fs');
const http = require('node:http');
const { execFileSync } = require('node:child_process');
const port = Number(process.argv[2]);
fs.writeFileSync(process.argv[3] + '/node-out.json', JSON.stringify({ files: fs.readdirSync(process.argv[3]) }));
execFileSync('/usr/bin/ls', ['-la', process.argv[3]]);
http.get('http://127.0.0.1:' + port + '/', (res) => { res.resume(); res.on('end', () => process.exit(0)); });
`;

const PY = `import hashlib, json, os, subprocess, sys, urllib.request
d = sys.argv[1]
h = hashlib.sha256(open(os.path.join(d, 'hello.c'), 'rb').read()).hexdigest()
json.dump({'sha256': h}, open(os.path.join(d, 'py-out.json'), 'w'))
subprocess.run(['/usr/bin/uname', '-a'], check=True, stdout=subprocess.DEVNULL)
urllib.request.urlopen('http://127.0.0.1:%s/' % sys.argv[2]).read()
`;

const JOB = `#!/bin/sh
# a cron-like maintenance job: log, rotate, compress, clean up
set -e
cd "$1"
date >> job.log
df -h / > /dev/null
find . -name '*.log' -mtime -1 > /dev/null
mv job.log job.log.1
gzip -f job.log.1
rm -f job.log.1.gz
`;

const WORKLOAD = `set -e
D="$1"
cd "$D"
# compile and run a C program
gcc -O2 -o hello hello.c
./hello > /dev/null
# git in a temporary repository
git init -q repo
cd repo
echo "# demo" > README.md
git add README.md
git -c user.name=ci -c user.email=ci@example.invalid commit -q -m init
git checkout -q -b feature
echo change >> README.md
git -c user.name=ci -c user.email=ci@example.invalid commit -q -am change
git log --oneline > /dev/null
git status --short > /dev/null
cd "$D"
# archives
tar czf repo.tgz repo
mkdir -p out && tar xzf repo.tgz -C out
gzip -k hello.c && gunzip -c hello.c.gz > /dev/null
# keys
ssh-keygen -q -t ed25519 -N '' -C ci -f "$D/deploy_key"
ssh-keygen -l -f "$D/deploy_key.pub" > /dev/null
# package queries
dpkg -l > /dev/null
dpkg -S /bin/ls > /dev/null
apt-cache policy bash > /dev/null
# a loopback web server and clients
/usr/bin/python3 -m http.server --bind 127.0.0.1 "$2" --directory "$D" > /dev/null 2>&1 &
SRV=$!
for i in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$2/" && break; sleep 0.1; done
curl -s -o /dev/null "http://127.0.0.1:$2/hello.c"
"$3" "$D/client.js" "$2" "$D"
/usr/bin/python3 "$D/client.py" "$D" "$2"
kill $SRV
wait $SRV || true
# a cron-like job script
sh "$D/job.sh" "$D"
"$(dirname "$3")/npm" --version > /dev/null 2>&1 || true
`;

test('quiet host: a benign developer/CI workload raises no alert of priority NOTICE or above', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  writeFileSync(join(dir, 'hello.c'), HELLO_C);
  writeFileSync(join(dir, 'client.js'), NODE_JS);
  writeFileSync(join(dir, 'client.py'), PY);
  writeFileSync(join(dir, 'job.sh'), JOB);
  writeFileSync(join(dir, 'workload.sh'), WORKLOAD);
  // A port outside the ephemeral range and off the mining-pool list.
  const port = String(20000 + Math.floor(Math.random() * 5000));
  const out = await r.run(['/usr/bin/bash', join(dir, 'workload.sh'), dir, port, process.execPath]);
  assert.equal(out.result.code, 0, `the workload ran: ${out.result.stderr}`);
  const execs = out.events.filter((e) => e.type === 'execve').map((e) => e.proc.name);
  for (const tool of ['gcc', 'hello', 'git', 'tar', 'ssh-keygen', 'dpkg', 'curl', 'node', 'python3', 'gzip'])
    assert.ok(execs.includes(tool), `${tool} ran and was seen`);
  const loud = out.alerts.filter((a) => LOUD.has(a.priority));
  assert.deepEqual(
    loud.map((a) => `${a.priority} ${a.rule}: ${a.output}`),
    [],
    'no alert of priority NOTICE or above',
  );
});
