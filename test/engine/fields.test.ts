import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderFieldsDoc } from '../../src/engine/fields/doc.js';
import { formatFieldValue } from '../../src/engine/fields/format.js';
import { ALL_FIELDS, FieldError, lookupField, resolveField } from '../../src/engine/fields/registry.js';
import { makeEvent, type EventOverrides } from '../support/events.js';
import { FALCO_RULES, falcoRulesMissing } from '../support/falco.js';
import { packageRoot } from '../../src/config/paths.js';

const value = (field: string, o: EventOverrides = {}) => {
  const bracket = /^([^[]+)\[(.*)\]$/.exec(field);
  const r = bracket ? resolveField(bracket[1], bracket[2]) : resolveField(field, undefined);
  return r.get(makeEvent(o));
};
const rendered = (field: string, o: EventOverrides = {}) => {
  const bracket = /^([^[]+)\[(.*)\]$/.exec(field);
  const r = bracket ? resolveField(bracket[1], bracket[2]) : resolveField(field, undefined);
  return formatFieldValue(r.def, r.get(makeEvent(o)));
};

/** Falco's stable ruleset is read where the project keeps it, never copied into the repository. */

test("every field in Falco's stable ruleset (conditions and outputs) is known", (t) => {
  if (falcoRulesMissing() !== null) {
    t.skip(`${FALCO_RULES} is not on this machine`);
    return;
  }
  const text = readFileSync(FALCO_RULES, 'utf8');
  const used = new Set<string>();
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) || /^\s*(desc|items):/.test(line) || /^\s*-\s/.test(line)) continue;
    for (const m of line.matchAll(
      /(?<![\w./-])((?:evt|proc|thread|user|group|fd|container|k8s|fs)\.[a-zA-Z0-9_.]*[a-zA-Z0-9_])(\[[^\]]*\])?/g,
    )) {
      used.add(m[1] + (m[2] ?? ''));
    }
  }
  assert.ok(used.size > 60, String(used.size));
  const unknown = [...used].filter((f) => {
    const bracket = /^([^[]+)\[(.*)\]$/.exec(f);
    try {
      resolveField(bracket ? bracket[1] : f, bracket ? bracket[2] || undefined : undefined);
      return false;
    } catch {
      return true;
    }
  });
  assert.deepEqual(unknown, []);
});

test('docs/fields.md is generated from the registry (run scripts/gen-fields-doc.ts)', () => {
  const doc = readFileSync(join(packageRoot(), 'docs/fields.md'), 'utf8');
  assert.equal(doc, renderFieldsDoc());
});

test('every field has a description and a unique name', () => {
  assert.equal(new Set(ALL_FIELDS.map((f) => f.name)).size, ALL_FIELDS.length);
  for (const f of ALL_FIELDS) assert.ok(f.description.length > 5, f.name);
  assert.equal(lookupField('proc.name')?.type, 'string');
  assert.equal(lookupField('proc.nope'), undefined);
});

test('process fields map the event model the way Falco defines them', () => {
  const o: EventOverrides = { proc: { args: ['/bin/cat', '-n', 'a b'], cmdline: 'cat -n a b' } };
  assert.equal(value('proc.exe', o), '/bin/cat');
  assert.equal(value('proc.exepath', o), '/usr/bin/cat');
  assert.equal(value('proc.args', o), '-n a b');
  assert.equal(value('proc.cmdline', o), 'cat -n a b');
  assert.equal(value('proc.cmdnargs', o), 2);
  assert.equal(value('proc.pname'), 'bash');
  assert.equal(value('proc.pcmdline'), 'bash');
  assert.equal(value('proc.pexepath'), '/usr/bin/bash');
  assert.equal(value('proc.aname[0]'), 'cat');
  assert.equal(value('proc.aname[2]'), 'sshd');
  assert.equal(value('proc.aname[9]'), undefined);
  assert.equal(value('proc.aname'), 'bash');
  assert.equal(value('proc.apid[3]'), 1);
  assert.equal(value('proc.env[HOME]'), '/root');
  assert.equal(value('proc.env'), 'HOME=/root PATH=/usr/bin:/bin TERM=xterm');
  assert.equal(value('proc.duration'), 2_000_000_000);
  assert.equal(value('proc.is_vpgid_leader'), true);
  assert.equal(value('proc.vpgid.name'), 'cat');
  assert.equal(value('proc.sname'), 'sshd');
  assert.equal(value('proc.ppid.duration'), undefined);
});

test('capabilities render as CAP_* names', () => {
  assert.equal(
    value('thread.cap_effective', { proc: { cap_effective: 2 ** 21 + 1 } }),
    'CAP_CHOWN CAP_SYS_ADMIN',
  );
  assert.equal(value('thread.cap_effective'), '');
  assert.equal(value('thread.cap_permitted', { proc: { cap_permitted: 2 ** 40 } }), 'CAP_CHECKPOINT_RESTORE');
});

test('fd fields: files, directories, sockets (client/server ends)', () => {
  const file: EventOverrides = { fd: { name: '/etc/ssh/sshd_config', num: 5, type: 'file' } };
  assert.equal(value('fd.directory', file), '/etc/ssh');
  assert.equal(value('fd.filename', file), 'sshd_config');
  assert.equal(value('fd.typechar', file), 'f');
  assert.equal(value('fd.nameraw', file), '/etc/ssh/sshd_config');
  assert.equal(value('fd.directory', { fd: { name: '/vmlinuz', type: 'file' } }), '/');
  assert.equal(value('fd.directory', { fd: { name: '/etc', type: 'directory' } }), '/etc');
  const accepted: EventOverrides = {
    type: 'accept',
    fd: {
      type: 'ipv4',
      name: '1.2.3.4:5555->10.0.0.1:22',
      lip: '10.0.0.1',
      lport: 22,
      rip: '1.2.3.4',
      rport: 5555,
      is_server: true,
    },
  };
  assert.equal(value('fd.sip', accepted), '10.0.0.1');
  assert.equal(value('fd.sport', accepted), 22);
  assert.equal(value('fd.cip', accepted), '1.2.3.4');
  assert.equal(value('fd.cport', accepted), 5555);
  assert.equal(value('fd.directory', accepted), undefined);
  assert.equal(value('fd.sip'), undefined);
  assert.deepEqual(value('fd.types[5]', file), ['file']);
});

test('evt fields: type, dir, res, times, args', () => {
  assert.equal(value('evt.dir'), '<');
  assert.equal(value('evt.res', { ret: -1 }), 'EPERM');
  assert.equal(value('evt.res', { ret: 3 }), 'SUCCESS');
  assert.equal(value('evt.rawres', { ret: -13 }), -13);
  assert.equal(
    value('evt.time.iso8601', { ts: 1_795_467_600_000_000_000 }),
    '2026-11-23T21:00:00.000000000Z',
  );
  assert.equal(value('evt.time', { ts: 1_795_467_600_000_000_000 }), '21:00:00.000000000');
  assert.equal(value('evt.datetime.s', { ts: 1_795_467_600_000_000_000 }), '2026-11-23 21:00:00');
  const args: EventOverrides = { args: { fd: 3, flags: 'O_RDONLY|O_CLOEXEC' } };
  assert.equal(value('evt.args', args), 'fd=3 flags=O_RDONLY|O_CLOEXEC');
  assert.equal(value('evt.arg.flags', args), 'O_RDONLY|O_CLOEXEC');
  assert.equal(value('evt.arg[fd]', args), '3');
  assert.equal(value('evt.arg.nope', args), undefined);
  assert.equal(value('evt.num'), undefined);
});

test('user, group, container, k8s', () => {
  assert.equal(value('user.name'), 'root');
  assert.equal(value('user.loginuid', { user: { loginuid: -1 } }), -1);
  assert.equal(value('group.name'), 'root');
  assert.equal(value('container.id'), 'host');
  assert.equal(value('container.name'), 'host');
  assert.equal(value('container.image.repository'), undefined);
  const ct: EventOverrides = {
    proc: { container_id: 'f00dfeedbeef' },
    container: { name: 'web', image_repository: 'nginx', start_ts: 0 },
  };
  assert.equal(value('container.id', ct), 'f00dfeedbeef');
  assert.equal(value('container.name', ct), 'web');
  assert.equal(value('container.image.repository', ct), 'nginx');
  assert.equal(value('k8s.ns.name', ct), undefined, 'a container outside a pod');
  const pod = { uid: '0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11', name: 'web-0', namespace: 'shop' };
  const inPod: EventOverrides = { proc: { container_id: 'f00dfeedbeef' }, container: { name: 'web', pod } };
  assert.equal(value('k8s.ns.name', inPod), 'shop');
  assert.equal(value('k8s.pod.name', inPod), 'web-0');
  assert.equal(value('k8s.pod.uid', inPod), pod.uid);
  assert.equal(value('k8s.pod.id', inPod), pod.uid);
  assert.equal(value('k8s.pod.name', { container: { pod } }), undefined, 'a host process has no pod');
  assert.equal(value('k8s.pod.labels', inPod), undefined, 'pod labels come from the runtime only');
});

test('runtime metadata: image parts, labels, privileged, type; pod labels', () => {
  const labels = { app: 'shop', 'app.kubernetes.io/part-of': 'store' };
  const pod = { uid: '0c8a3c2e-4b1f-4d1a-9a43-2b6e0a0c9f11', name: 'web-0', namespace: 'shop', labels };
  const ct: EventOverrides = {
    proc: { container_id: 'f00dfeedbeef' },
    container: {
      name: 'web',
      type: 'containerd',
      image: 'docker.io/library/nginx:1.25',
      image_repository: 'docker.io/library/nginx',
      image_tag: '1.25',
      image_digest: 'sha256:' + 'ab'.repeat(32),
      image_id: 'f18bd87db45e',
      privileged: true,
      labels: { role: 'web', tier: 'front' },
      pod,
    },
  };
  assert.equal(value('container.type', ct), 'containerd');
  assert.equal(value('container.image', ct), 'docker.io/library/nginx:1.25');
  assert.equal(value('container.image.tag', ct), '1.25');
  assert.equal(value('container.image.digest', ct), 'sha256:' + 'ab'.repeat(32));
  assert.equal(value('container.image.id', ct), 'f18bd87db45e');
  assert.equal(value('container.privileged', ct), true);
  assert.equal(value('container.labels', ct), 'role:web, tier:front');
  assert.equal(value('container.label[tier]', ct), 'front');
  assert.equal(value('container.label[nope]', ct), undefined);
  assert.equal(value('k8s.pod.labels', ct), 'app:shop,app.kubernetes.io/part-of:store');
  assert.equal(value('k8s.pod.label[app.kubernetes.io/part-of]', ct), 'store');
  assert.equal(value('container.type'), undefined, 'a host process has no container type');
  assert.equal(value('container.label[tier]', { container: ct.container }), undefined, 'nor labels');
});

test('formatFieldValue renders as Falco: <NA>, decimal, true/false, lists', () => {
  assert.equal(rendered('k8s.pod.name'), '<NA>');
  assert.equal(rendered('proc.pid'), '4242');
  assert.equal(rendered('proc.tty'), '34816');
  assert.equal(rendered('user.loginuid', { user: { loginuid: -1 } }), '-1');
  assert.equal(rendered('proc.is_exe_upper_layer'), 'false');
  assert.equal(rendered('fd.types[0]', { fd: { name: 'x', type: 'ipv4', num: 0 } }), '(ipv4)');
  assert.equal(
    rendered('fd.sip', { fd: { name: 'x', type: 'ipv6', lip: '::1', rip: '2001:db8::1' } }),
    '2001:db8::1',
  );
  assert.equal(rendered('proc.aname[7]'), '<NA>');
});

test('resolveField: dotted arguments and errors', () => {
  assert.equal(resolveField('evt.arg.flags', undefined).arg, 'flags');
  assert.equal(resolveField('evt.rawarg.mode', undefined).def.name, 'evt.rawarg');
  assert.equal(resolveField('proc.aname', '3').arg, 3);
  assert.equal(resolveField('proc.aname', '3').text, 'proc.aname[3]');
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof FieldError ? [e.part, e.message] : ['other', String(e)];
    }
    return null;
  };
  assert.deepEqual(
    err(() => resolveField('proc.nope', undefined)),
    ['name', "unknown field 'proc.nope'"],
  );
  assert.deepEqual(
    err(() => resolveField('proc.name', '1')),
    ['arg', "field 'proc.name' takes no argument"],
  );
  assert.deepEqual(
    err(() => resolveField('proc.aname', '-1')),
    ['arg', "field 'proc.aname' needs a numeric argument, not '-1'"],
  );
  assert.deepEqual(
    err(() => resolveField('evt.rawarg', undefined)),
    ['name', "field 'evt.rawarg' needs an argument, e.g. evt.rawarg[...]"],
  );
});
