import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Expr } from '../../src/engine/condition/ast.js';
import { compileCondition, type CompiledCondition } from '../../src/engine/condition/compile-condition.js';
import { parseCondition } from '../../src/engine/condition/parse.js';
import type { VigilEvent } from '../../src/event/types.js';
import { makeEvent, type EventOverrides } from '../support/events.js';

const LISTS = new Map<string, string[]>([
  ['shell_binaries', ['bash', 'sh', 'zsh']],
  ['empty_list', []],
  ['login_binaries', ['login', '"(systemd)"', 'su']],
  ['open_types', ['open', 'openat', 'openat2']],
]);

function compile(text: string, macros: Record<string, string> = {}): CompiledCondition {
  const parsed = new Map<string, Expr>(
    Object.entries(macros).map(([k, v]) => [k, parseCondition(v, { macro: k })]),
  );
  return compileCondition(parseCondition(text, { rule: 't' }), { lists: LISTS, macros: parsed });
}

const on = (text: string, ev: VigilEvent | EventOverrides = {}): boolean =>
  compile(text).test(
    'proc' in ev && 'type' in ev && 'ts' in ev ? (ev as VigilEvent) : makeEvent(ev as EventOverrides),
  );

const shadow: EventOverrides = {
  type: 'openat',
  fd: { name: '/etc/shadow', num: 3, type: 'file' },
  rawargs: { flags: 0 },
  args: { flags: 'O_RDONLY' },
};

test('precedence without parentheses: a or b and c is a or (b and c)', () => {
  assert.equal(on('proc.name = cat or proc.name = x and proc.name = y'), true);
  assert.equal(on('proc.name = x and proc.name = y or proc.name = cat'), true);
  assert.equal(on('not proc.name = x and proc.name = cat'), true);
  assert.equal(on('not proc.name = cat or proc.name = cat'), true);
  assert.equal(on('not (proc.name = cat or proc.name = x)'), false);
});

test('a field with no value: every comparison is false, != included; not makes it true', () => {
  const noFd = {};
  assert.equal(on('fd.name = /etc/shadow', noFd), false);
  assert.equal(on('fd.name != /etc/shadow', noFd), false);
  assert.equal(on('not fd.name = /etc/shadow', noFd), true);
  assert.equal(on('fd.name exists', noFd), false);
  assert.equal(on('fd.name exists', shadow), true);
  assert.equal(on('fd.name != /etc/passwd', shadow), true);
  assert.equal(on('proc.pname != bash', { proc: { ancestors: [] } }), false);
});

test('contains on a missing field is false', () => {
  assert.equal(on('fd.name contains shadow', {}), false);
  assert.equal(on('fd.name contains shadow', shadow), true);
  assert.equal(on('not fd.name contains shadow', {}), true);
});

test('in with an empty list is false; not in () is true', () => {
  assert.equal(on('proc.name in ()'), false);
  assert.equal(on('proc.name in (empty_list)'), false);
  assert.equal(on('proc.name in empty_list'), false);
  assert.equal(on('not proc.name in ()'), true);
  assert.equal(on('proc.name in (empty_list, cat)'), true);
});

test('in: literal list, list names expanded, quoted list items unquoted', () => {
  assert.equal(on('proc.pname in (shell_binaries)'), true);
  assert.equal(on('proc.pname in (sshd, shell_binaries)'), true);
  assert.equal(on('proc.pname in shell_binaries'), true);
  assert.equal(on('proc.name in (shell_binaries)'), false);
  assert.equal(on('proc.name in (login_binaries)', { proc: { name: '(systemd)' } }), true);
  assert.equal(on('proc.name intersects (cat, dog)'), true);
});

test('startswith takes one value; a list value is refused, and list fields refuse it', () => {
  assert.equal(on('fd.name startswith /etc/', shadow), true);
  assert.equal(on('fd.name startswith "/etc/sh"', shadow), true);
  assert.equal(on('fd.name startswith /root', shadow), false);
  assert.throws(
    () => compile('fd.name startswith (/etc, /root)'),
    /operator 'startswith' takes a single value, not a list/,
  );
  assert.throws(
    () => compile('fd.types[3] startswith fi'),
    /list field 'fd.types\[3\]' only supports operators/,
  );
});

test('glob: * crosses /, ** is *, ? and classes, anchored', () => {
  const ev = { type: 'openat' as const, fd: { name: '/home/alice/work/.ssh/id_rsa', type: 'file' as const } };
  assert.equal(on("fd.name glob '/home/*/.ssh/*'", ev), true);
  assert.equal(on("fd.name glob '/home/**/.ssh/*'", ev), true);
  assert.equal(on("fd.name glob '/home/**'", ev), true);
  assert.equal(on("fd.name glob '/home'", ev), false);
  assert.equal(on("fd.name glob '/home/?lice/*'", ev), true);
  assert.equal(on("fd.name glob '/home/[a-c]lice/*'", ev), true);
  assert.equal(on("fd.name glob '/home/[!a]lice/*'", ev), false);
  assert.equal(on("fd.name glob '*id_rsa'", ev), true);
  assert.equal(on("fd.name glob '*.SSH*'", ev), false);
  assert.equal(on("fd.name iglob '*.SSH*'", ev), true);
  assert.equal(on("fd.name glob 'a.b'", { fd: { name: 'axb' } }), false);
  assert.equal(
    on("fd.nameraw glob '*../*../*'", { fd: { name: '/etc/passwd', nameraw: 'a/../../etc' } }),
    true,
  );
});

test('pmatch matches path prefixes component-wise', () => {
  const at = (name: string) => ({ fd: { name, type: 'file' as const } });
  assert.equal(on('fd.name pmatch (/var/run, /etc)', at('/etc/passwd')), true);
  assert.equal(on('fd.name pmatch (/var/run, /etc)', at('/etc')), true);
  assert.equal(on('fd.name pmatch (/var/run, /etc)', at('/etcetera')), false);
  assert.equal(on('fd.name pmatch (/var/run/)', at('/var/run/docker.sock')), true);
  assert.equal(on('fd.name pmatch (/var/run)', at('/var/running')), false);
  assert.equal(on('fd.name pmatch (/)', at('/anything')), true);
  assert.equal(on('fd.name pmatch ()', at('/etc')), false);
  // Components, not characters: empty components do not count (Falco's split_path).
  assert.equal(on('fd.name pmatch (/var/run)', at('/var//run/x')), true);
  assert.equal(on('fd.name pmatch (/var/run)', at('var/run/x')), true);
});

test('exists', () => {
  assert.equal(on('proc.env[HOME] exists'), true);
  assert.equal(on('proc.env[LD_PRELOAD] exists'), false);
  assert.equal(on('proc.aname[3] exists'), true);
  assert.equal(on('proc.aname[4] exists'), false);
  assert.equal(on('k8s.ns.name exists'), false);
  assert.equal(on('container.image.repository exists'), false);
});

test('numbers given as strings compare as numbers for numeric fields', () => {
  assert.equal(on('proc.pid = "4242"'), true);
  assert.equal(on("proc.pid = '04242'"), true);
  assert.equal(on('proc.pid in ("4242", 1)'), true);
  assert.equal(on('proc.pid = 0x1092'), true);
  assert.equal(on('proc.pid > 4000 and proc.pid <= 4242'), true);
  assert.equal(on('fd.num = -1', { fd: { name: '/x', num: -1 } }), true);
  assert.equal(on('fd.num >= 0', { fd: { name: '/x', num: -1 } }), false);
  assert.equal(on('evt.rawres in (0, 1, 2)', { ret: 2 }), true);
  assert.equal(on('proc.duration <= 5000000000'), true);
  // String fields compare as strings: "010" is not "10".
  assert.equal(on('proc.cmdline = 10', { proc: { cmdline: '010' } }), false);
});

test('strings order as strcmp does; the value after < is a number token compared as text', () => {
  assert.equal(on('proc.name < 5'), false);
  assert.equal(on('proc.name > 5'), true); // 'cat' > '5'
  assert.equal(on('user.name >= 0'), true);
  assert.equal(on('proc.cmdline < 9', { proc: { cmdline: '10' } }), true); // '10' < '9' as text
});

test('string operators: contains, icontains, endswith, bcontains, bstartswith, regex', () => {
  assert.equal(on('proc.cmdline contains hostname'), true);
  assert.equal(on('proc.cmdline icontains HOSTNAME'), true);
  assert.equal(on('proc.cmdline contains HOSTNAME'), false);
  assert.equal(on('proc.exepath endswith /cat'), true);
  assert.equal(on('proc.cmdline bcontains 686f7374'), true); // "host"
  assert.equal(on('proc.cmdline bstartswith 636174'), true); // "cat"
  assert.equal(on('proc.cmdline bstartswith 686f7374'), false);
  assert.equal(on('proc.cmdline bcontains c3a9', { proc: { cmdline: 'café' } }), true); // é in UTF-8
  assert.equal(on("proc.cmdline regex 'cat /etc/[a-z]+'"), true);
  assert.equal(on("proc.cmdline regex 'cat'"), false); // anchored at both ends, as RE2 FullMatch
  // RE2 spellings: inline flags, (?P<name>...), \A and \z.
  assert.equal(on("proc.cmdline regex '(?i)CAT .*'"), true);
  assert.equal(on("proc.cmdline regex '(?P<cmd>cat) (?P<file>[/a-z]+)'"), true);
  assert.equal(on(String.raw`proc.cmdline regex '\\Acat.*hostname\\z'`), true);
  // RE2: nested quantifiers are fine too (linear time whatever the pattern).
  assert.equal(on("proc.cmdline regex '(ca+t)? [/a-z]*(name)?'"), true);
  assert.equal(on("proc.cmdline regex '(c+a+)+t (/?[a-z]+)+'"), true);
  assert.equal(on("proc.cmdline regex '[+*]*cat.*'"), true);
  assert.equal(on('thread.cap_effective icontains sys_admin', { proc: { cap_effective: 2 ** 21 } }), true);
});

test('ancestors: indexed, and any ancestor without index', () => {
  assert.equal(on('proc.aname[0] = cat'), true);
  assert.equal(on('proc.aname[1] = bash and proc.aname[2] = sshd'), true);
  assert.equal(on('proc.aname = sshd'), true);
  assert.equal(on('proc.aname = cat'), false);
  assert.equal(on('proc.aname in (systemd)'), true);
  assert.equal(on('proc.aname startswith sys'), true);
  assert.equal(on('proc.apid = 1'), true);
  assert.equal(on('proc.aexepath[2] = /usr/sbin/sshd'), true);
});

test('transformers and val()', () => {
  assert.equal(on('toupper(proc.name) = CAT'), true);
  assert.equal(on('tolower(proc.name) = val(proc.name)'), true);
  assert.equal(on('basename(fd.name) = shadow', shadow), true);
  assert.equal(on('b64(proc.cmdline) = hello', { proc: { cmdline: 'aGVsbG8=' } }), true);
  assert.equal(on('b64(proc.cmdline) exists', { proc: { cmdline: 'not base64!' } }), false);
  assert.equal(on('proc.name = val(proc.pname)', { proc: { name: 'bash' } }), true);
  assert.equal(on('proc.name = val(proc.pname)'), false);
  assert.equal(on('proc.name != val(proc.pname)', { proc: { ancestors: [] } }), false);
  assert.equal(on('proc.pid > val(proc.ppid)'), true);
  assert.equal(on('proc.pname in val(proc.aname[1])'), true);
});

test('network fields: ips, networks, ports, either end', () => {
  const conn: EventOverrides = {
    type: 'connect',
    fd: {
      type: 'ipv4',
      name: '10.0.0.5:40000->93.184.216.34:443',
      lip: '10.0.0.5',
      lport: 40000,
      rip: '93.184.216.34',
      rport: 443,
      l4proto: 'tcp',
    },
  };
  assert.equal(on('fd.sip = 93.184.216.34 and fd.sport = 443 and fd.cport = 40000', conn), true);
  assert.equal(on('fd.snet = 93.184.0.0/16', conn), true);
  assert.equal(on('fd.snet in (10.0.0.0/8, 192.168.0.0/16)', conn), false);
  assert.equal(on('fd.net = 10.0.0.0/8', conn), true);
  assert.equal(on('fd.ip = 10.0.0.5', conn), true);
  assert.equal(on('fd.port in (443)', conn), true);
  assert.equal(on('fd.l4proto = tcp and fd.typechar = 4', conn), true);
  const v6: EventOverrides = {
    fd: { type: 'ipv6', name: 'x', lip: '::1', rip: '2001:db8::1', lport: 1, rport: 2 },
  };
  assert.equal(on('fd.rip = 2001:0db8:0:0::1', v6), true);
  assert.equal(on('fd.rnet = 2001:db8::/32', v6), true);
  assert.equal(on('fd.sip = 1.2.3.4', {}), false);
});

test('list field fd.types: in = every value listed, intersects = some', () => {
  const sock: EventOverrides = { fd: { type: 'ipv4', name: 'x', num: 0 } };
  assert.equal(on('fd.types[0] in (ipv4, ipv6)', sock), true);
  assert.equal(on('fd.types[0] intersects (ipv4)', sock), true);
  assert.equal(on('fd.types[1] in (ipv4)', sock), false);
  assert.equal(on('fd.types exists', sock), false);
});

test('bool fields and open flags', () => {
  assert.equal(on('evt.is_open_read = true and evt.is_open_write = false', shadow), true);
  assert.equal(on('evt.is_open_write=true', { ...shadow, rawargs: { flags: 0o2 } }), true);
  assert.equal(on('evt.is_open_read=true', {}), false);
  assert.equal(on('proc.is_exe_upper_layer = true', { proc: { exe_upper_layer: true } }), true);
});

test('host processes: container.id is host', () => {
  assert.equal(on('container.id != host'), false);
  assert.equal(on('container.id = host'), true);
  assert.equal(on('container.id != host', { proc: { container_id: 'abcdef123456' } }), true);
  const inCt: EventOverrides = {
    proc: { container_id: 'abcdef123456' },
    container: { image_repository: 'nginx', privileged: true },
  };
  assert.equal(on('container.image.repository = nginx and container.privileged = true', inCt), true);
});

test('evt fields: res, rawres, dir, arg', () => {
  assert.equal(on('evt.res = SUCCESS and evt.dir = <'), true);
  assert.equal(on('evt.res startswith E', { ret: -2 }), true);
  assert.equal(on('evt.res = ENOENT', { ret: -2 }), true);
  assert.equal(on('evt.rawres < 0', { ret: -13 }), true);
  assert.equal(on('evt.arg.flags contains O_RDONLY', shadow), true);
  assert.equal(on('evt.arg[flags] = O_RDONLY', shadow), true);
  assert.equal(on('evt.arg[0] = O_RDONLY', shadow), true);
  assert.equal(on('evt.arg.mode exists', shadow), false);
  assert.equal(on('evt.num = 0'), false);
});

test('macros inline, constants fold', () => {
  const macros = {
    open_read: 'evt.type in (open, openat) and evt.is_open_read = true',
    never_true: 'evt.num = 0',
  };
  assert.equal(compile('open_read and fd.name = /etc/shadow', macros).test(makeEvent(shadow)), true);
  assert.equal(compile('open_read and not never_true', macros).test(makeEvent(shadow)), true);
  const fields = compile('open_read and proc.aname[2] = x', macros).fields;
  assert.deepEqual(fields.sort(), ['evt.is_open_read', 'evt.type', 'proc.aname[2]']);
  // A folded-away false branch still reports its errors.
  assert.throws(() => compile('evt.num = 0 and proc.nope = 1'), /unknown field 'proc.nope'/);
});

test('event-type index', () => {
  const types = (text: string, macros: Record<string, string> = {}) => {
    const t = compile(text, macros).eventTypes;
    return t === null ? null : [...t].sort();
  };
  assert.deepEqual(types('evt.type=open or evt.type=openat'), ['open', 'openat']);
  assert.deepEqual(types('evt.type in (open_types) and proc.name = cat'), ['open', 'openat', 'openat2']);
  assert.equal(types('proc.name = cat'), null);
  assert.equal(types('evt.type = open or proc.name = cat'), null);
  assert.deepEqual(types('evt.type in (open, openat) and evt.type = openat'), ['openat']);
  assert.deepEqual(types('evt.type in (execve, execveat)'), ['execve']);
  const notExecve = types('not evt.type=execve');
  assert.ok(notExecve !== null && !notExecve.includes('execve') && notExecve.includes('openat'));
  const ne = types('evt.type != execve');
  assert.deepEqual(ne, notExecve);
  assert.equal(types('not proc.name = cat'), null);
  assert.deepEqual(types('not (not evt.type = open)'), ['open']);
  assert.deepEqual(types('not (evt.type != open or proc.name = x)'), ['open']);
  assert.deepEqual(types('spawned and proc.name = x', { spawned: 'evt.type = execve' }), ['execve']);
  assert.equal(types('evt.type = execve or not evt.type = execve'), null);
});

test('fd.sip.name: the server address is one the named domain resolves to (/etc/hosts, resolver)', () => {
  const to = (ip: string): EventOverrides => ({
    type: 'connect',
    fd: {
      type: 'ipv4',
      name: `10.0.0.5:40000->${ip}:443`,
      lip: '10.0.0.5',
      lport: 40000,
      rip: ip,
      rport: 443,
    },
  });
  // localhost is 127.0.0.1 in every /etc/hosts.
  assert.equal(on('fd.sip.name = localhost', to('127.0.0.1')), true);
  assert.equal(on('fd.sip.name in (nowhere.invalid, localhost)', to('127.0.0.1')), true);
  assert.equal(on('fd.sip.name = localhost', to('10.9.9.9')), false);
  assert.equal(on('fd.sip.name = nowhere.invalid', to('127.0.0.1')), false);
  assert.equal(on('fd.cip.name = localhost', to('127.0.0.1')), false);
  assert.equal(on('fd.sip.name exists', {}), false);
});

test('compiled for one event type, evt.type and evt.dir fold to constants', () => {
  const parse = (text: string): Expr => parseCondition(text, { rule: 't' });
  const ctx = (eventType?: VigilEvent['type']) => ({
    lists: LISTS,
    macros: new Map<string, Expr>(),
    eventType,
  });
  const text =
    '(evt.type in (open_types) and fd.name = /etc/shadow) or (evt.type = execve and proc.name = cat)';
  const forOpen = compileCondition(parse(text), ctx('openat'));
  const forExec = compileCondition(parse(text), ctx('execve'));
  assert.equal(forOpen.constant, undefined);
  assert.equal(forOpen.test(makeEvent(shadow)), true);
  // The execve alternative is gone from the openat test, and the reverse.
  assert.equal(forOpen.test(makeEvent({ ...shadow, fd: { name: '/etc/x', num: 3, type: 'file' } })), false);
  assert.equal(forExec.test(makeEvent({ type: 'execve' })), true);
  assert.equal(forExec.test(makeEvent({ type: 'execve', proc: { name: 'ls' } })), false);
  // Wholly decided by the type.
  assert.equal(
    compileCondition(parse('evt.type = connect and proc.name = cat'), ctx('openat')).constant,
    false,
  );
  assert.equal(compileCondition(parse('evt.type != connect and evt.dir = <'), ctx('openat')).constant, true);
  assert.equal(compileCondition(parse('not evt.type startswith open'), ctx('openat')).constant, false);
  assert.equal(compileCondition(parse('evt.type exists'), ctx('openat')).constant, true);
  // Without a type nothing folds: the generic test still reads evt.type from the event.
  const generic = compileCondition(parse('evt.type = connect'), ctx());
  assert.equal(generic.constant, undefined);
  assert.equal(generic.test(makeEvent({ type: 'connect' })), true);
  assert.equal(generic.test(makeEvent({ type: 'openat' })), false);
});
