/**
 * Throughput of one compiled condition's test() on one core: Falco's
 * "Read sensitive file untrusted" condition with its macros and lists,
 * against a mix of opens (sensitive and not), execs and connects.
 * Run: node --import tsx bench/engine-condition.ts   (prints events/s)
 */
import type { Expr } from '../src/engine/condition/ast.js';
import { compileCondition } from '../src/engine/condition/compile-condition.js';
import { parseCondition } from '../src/engine/condition/parse.js';
import type { VigilEvent } from '../src/event/types.js';
import { makeEvent } from '../test/support/events.js';

const LISTS: Record<string, string[]> = {
  sensitive_file_names: ['/etc/shadow', '/etc/sudoers', '/etc/pam.conf', '/etc/security/pwquality.conf'],
  shell_binaries: ['ash', 'bash', 'csh', 'ksh', 'sh', 'tcsh', 'zsh', 'dash'],
  user_mgmt_binaries: [
    'login',
    'systemd',
    '"(systemd)"',
    'su',
    'passwd',
    'useradd',
    'usermod',
    'chage',
    'vipw',
  ],
  userexec_binaries: ['sudo', 'su', 'suexec', 'critical-stack', 'dzdo'],
  package_mgmt_binaries: ['dpkg', 'apt', 'apt-get', 'rpm', 'yum', 'dnf', 'pip', 'npm', 'gem', 'apk', 'snapd'],
  cron_binaries: ['anacron', 'cron', 'crond', 'crontab'],
  read_sensitive_file_binaries: [
    'iptables',
    'ps',
    'lsb_release',
    'sshd',
    'vsftpd',
    'systemd',
    'psql',
    'screen',
  ],
  read_sensitive_file_images: [],
};

const MACROS: Record<string, string> = {
  open_read:
    "(evt.type in (open,openat,openat2) and evt.is_open_read=true and fd.typechar='f' and fd.num>=0)",
  sensitive_files: '(fd.name in (sensitive_file_names) or fd.directory in (/etc/sudoers.d, /etc/pam.d))',
  proc_name_exists: '(not proc.name in ("<NA>","N/A"))',
  never_true: '(evt.num=0)',
  container: '(container.id != host)',
  cmp_cp_by_passwd: '(proc.name in (cmp, cp) and proc.pname in (passwd, run-parts))',
  ansible_running_python: '(proc.name in (python, pypy, python3) and proc.cmdline contains ansible)',
  run_by_qualys:
    '(proc.pname=qualys-cloud-ag or proc.aname[2]=qualys-cloud-ag or proc.aname[3]=qualys-cloud-ag or ' +
    'proc.aname[4]=qualys-cloud-ag)',
  run_by_chef:
    '(proc.aname[2]=chef_command_wr or proc.aname[3]=chef_command_wr or proc.aname[2]=chef-client or ' +
    'proc.aname[3]=chef-client or proc.name=chef-client)',
  perl_running_plesk:
    '(proc.cmdline startswith "perl /opt/psa/admin/bin/plesk_agent_manager" or ' +
    'proc.pcmdline startswith "perl /opt/psa/admin/bin/plesk_agent_manager")',
  user_read_sensitive_file_containers:
    '(container and container.image.repository in (read_sensitive_file_images))',
};

const CONDITION = `open_read and sensitive_files and proc_name_exists
  and not proc.name in (user_mgmt_binaries, userexec_binaries, package_mgmt_binaries, cron_binaries,
    read_sensitive_file_binaries, shell_binaries, in.proftpd, mandb, salt-call, salt-minion)
  and not cmp_cp_by_passwd and not ansible_running_python and not run_by_qualys and not run_by_chef
  and not perl_running_plesk and not never_true and not user_read_sensitive_file_containers`;

const macros = new Map<string, Expr>(
  Object.entries(MACROS).map(([k, v]) => [k, parseCondition(v, { macro: k })]),
);
const compiled = compileCondition(parseCondition(CONDITION, { rule: 'bench' }), {
  lists: new Map(Object.entries(LISTS)),
  macros,
});

const open = (name: string, proc: string): VigilEvent =>
  makeEvent({
    type: 'openat',
    ret: 3,
    proc: { name: proc },
    fd: { name, num: 3, type: 'file' },
    rawargs: { flags: 0 },
  });
const mix: VigilEvent[] = [
  open('/etc/shadow', 'cat'),
  open('/etc/shadow', 'sshd'),
  open('/etc/pam.d/common-auth', 'python3'),
  open('/usr/lib/x86_64-linux-gnu/libc.so.6', 'bash'),
  open('/proc/self/status', 'ps'),
  makeEvent({ type: 'execve', proc: { name: 'curl', args: ['curl', 'example.com'] } }),
  makeEvent({
    type: 'connect',
    fd: { type: 'ipv4', name: '10.0.0.5:40000->93.184.216.34:443', lip: '10.0.0.5', rip: '93.184.216.34' },
  }),
  open('/home/alice/notes.txt', 'vim'),
];

const expected = mix.map((ev) => compiled.test(ev));
if (expected.join() !== 'true,false,true,false,false,false,false,false') {
  throw new Error(`unexpected results: ${expected.join()}`);
}

const N = 20_000_000;
let hits = 0;
for (let i = 0; i < 1_000_000; i++) if (compiled.test(mix[i & 7])) hits++; // warm-up
hits = 0;
// CPU time, not wall time: the figure is per core even when other processes share the machine.
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) if (compiled.test(mix[i & 7])) hits++;
const wallNs = Number(process.hrtime.bigint() - t0);
const cpu = process.cpuUsage(cpu0);
const cpuNs = (cpu.user + cpu.system) * 1000;
const perCpuSec = Math.round((N / cpuNs) * 1e9);
console.log(
  `condition test(): ${perCpuSec.toLocaleString('en-US')} events per CPU-second ` +
    `(${(cpuNs / N).toFixed(1)} ns/event CPU, ${(wallNs / N).toFixed(1)} ns/event wall; ` +
    `${N.toLocaleString('en-US')} events, ${hits.toLocaleString('en-US')} matches, ` +
    `event types ${[...(compiled.eventTypes ?? [])].join(',')})`,
);
