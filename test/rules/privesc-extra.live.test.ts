/** Live: the rules of rules/35-privilege-escalation-extra.yaml, each attack and its benign twin. */
import { test } from 'node:test';
import { asNobody, perl, py, ruleRunner } from './support.js';

const TRUE = '/usr/bin/true';

test('Namespace entered on the host', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // Into its own mount and UTS namespaces: nothing changes but the calls.
  const own = ['--mount=/proc/self/ns/mnt', '--uts=/proc/self/ns/uts'];
  await r.fires('Namespace entered on the host', ['/usr/bin/nsenter', ...own, TRUE], {
    'proc.exepath': '/usr/bin/nsenter',
  });
  await r.silent('Namespace entered on the host', ['/usr/bin/nsenter', '--version']);
});

test('Namespace created on the host', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Namespace created on the host', ['/usr/bin/unshare', '-m', TRUE], {
    'evt.arg.flags': /CLONE_NEWNS/,
  });
  // unshare(CLONE_FS): a private cwd and umask, no namespace.
  await r.silent('Namespace created on the host', perl('syscall(272, 0x200) == 0 or die "unshare: $!"'));
});

test('User namespace created by an unprivileged user', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('User namespace created by an unprivileged user', asNobody('/usr/bin/unshare', '-U', TRUE), {
    'user.uid': 65534,
  });
  await r.silent('User namespace created by an unprivileged user', asNobody('/usr/bin/unshare', '--version'));
});

/**
 * process_vm_readv/writev of 8 bytes at a live address of `target` ('child': a sleeping child,
 * 'self': the caller itself), as a memory dumper or an injector calls it.
 */
const vmCall = (call: 'process_vm_readv' | 'process_vm_writev', target: 'child' | 'self'): string[] =>
  py(
    [
      'import ctypes, os, subprocess, time',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'class Iov(ctypes.Structure):',
      "  _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]",
      'buf = ctypes.create_string_buffer(8)',
      target === 'child'
        ? "child = subprocess.Popen(['/usr/bin/sleep', '30'])\npid = child.pid\n" +
          // Until the child has exec'd sleep: before, its memory is a copy of Python's.
          "while os.readlink('/proc/%d/exe' % pid) != '/usr/bin/sleep': time.sleep(0.01)\n" +
          // The exe changes before the exec's tracepoint fires: let its record go first.
          'time.sleep(0.1)'
        : 'child = None\npid = os.getpid()',
      // The stack of the target is mapped in any process: its address from /proc/PID/maps.
      "start = next(int(l.split('-')[0], 16) for l in open('/proc/%d/maps' % pid) if '[stack]' in l)",
      'local = Iov(ctypes.addressof(buf), 8)',
      'remote = Iov(start, 8)',
      `n = libc.${call}(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)`,
      "assert n == 8, 'errno %d' % ctypes.get_errno()",
      'if child: child.kill()',
    ].join('\n'),
  );

test('Process memory read with process_vm_readv', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Process memory read with process_vm_readv', vmCall('process_vm_readv', 'child'), {
    'evt.target.name': 'sleep',
  });
  await r.silent('Process memory read with process_vm_readv', vmCall('process_vm_readv', 'self'));
});

test('Process memory written with process_vm_writev', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  await r.fires('Process memory written with process_vm_writev', vmCall('process_vm_writev', 'child'), {
    'evt.target.name': 'sleep',
  });
  await r.silent('Process memory written with process_vm_writev', vmCall('process_vm_writev', 'self'));
});

test('Userfaultfd created by an unprivileged user', async (t) => {
  const r = await ruleRunner(t);
  if (!r) return;
  // userfaultfd(0): refused to nobody where vm.unprivileged_userfaultfd is 0; the attempt is the signal.
  const uffd = perl('syscall(323, 0)');
  await r.fires('Userfaultfd created by an unprivileged user', asNobody(...uffd), { 'user.uid': 65534 });
  await r.silent('Userfaultfd created by an unprivileged user', uffd);
});
