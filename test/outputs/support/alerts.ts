/** Realistic alerts for output tests: the alert JSON of docs/architecture.md, numbered so order can be checked. */
import type { Alert, Priority } from '../../../src/event/alert.js';
import { sampleEvent } from '../../../src/engine/rule-tests/sample-event.js';

export function makeAlert(seq: number, over: Partial<Alert> = {}): Alert {
  const ts = Date.UTC(2026, 10, 23, 21, 0, 0) + seq;
  const iso = new Date(ts).toISOString().replace('Z', '456789Z');
  const priority: Priority = over.priority ?? 'Warning';
  return {
    uuid: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    time: iso,
    hostname: 'node-7',
    rule: 'Read sensitive file untrusted',
    priority,
    source: 'syscall',
    tags: ['filesystem', 'mitre_credential_access', 'T1003'],
    output: `Sensitive file opened for reading (file=/etc/shadow seq=${seq} user=root)`,
    output_fields: { 'proc.name': 'cat', 'fd.name': '/etc/shadow', 'user.name': 'root', 'evt.num': seq },
    action: 'alert',
    event: sampleEvent({
      type: 'openat',
      ts: ts * 1e6,
      ret: 3,
      proc: {
        args: ['cat', '/etc/shadow'],
        env: ['PATH=/usr/bin'],
        start_ts: ts * 1e6,
        exe_ino: 1,
        exe_ctime: 0,
        exe_mtime: 0,
        container_id: '3ad7b26ded6d',
        cgroup: '/docker/3ad7b26ded6d',
        ancestors: [
          { pid: 4200, exe: '/usr/bin/bash' },
          { pid: 1, exe: '/usr/sbin/sshd', cmdline: 'sshd -D' },
        ],
      },
      user: { loginname: '' },
      fd: { num: 3, type: 'file', name: '/etc/shadow' },
      container: { id: '3ad7b26ded6d', name: 'web', image: 'nginx:1.27' },
    }),
    ...over,
  };
}

/** Sequence number an alert was made with (from its uuid). */
export function seqOf(a: { uuid: string }): number {
  return Number(a.uuid.slice(-12));
}
