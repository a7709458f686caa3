/**
 * Which kernel modules the guest's initramfs loads, in which order. There is no depmod on the
 * host, so the order comes from each module's own `.modinfo` (its `depends=` entry): a module is
 * loaded after everything it depends on. A dependency that is neither a module file nor listed
 * in modules.builtin is an error here rather than a hang in the guest.
 */
import { basename } from 'node:path';

/** What the guest needs: virtio PCI transport, 9p over virtio, overlayfs. */
export const GUEST_MODULE_ROOTS = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];

/** `kernel/fs/9p/9p.ko.xz` -> `9p`; the kernel treats '-' and '_' in module names alike. */
export function moduleName(path: string): string {
  return basename(path)
    .replace(/\.ko(\.(xz|zst|gz))?$/, '')
    .replace(/-/g, '_');
}

/** The `depends=` list of a module's .modinfo section (NUL-separated key=value strings). */
export function moduleDepends(ko: Buffer): string[] {
  const key = Buffer.from('\0depends=');
  const at = ko.indexOf(key);
  if (at < 0) return [];
  const start = at + key.length;
  const end = ko.indexOf(0, start);
  return ko
    .toString('latin1', start, end < 0 ? ko.length : end)
    .split(',')
    .filter(Boolean)
    .map((name) => name.replace(/-/g, '_'));
}

/** Names of built-in modules from modules.builtin (one `kernel/.../name.ko` per line). */
export function builtinModules(text: string): Set<string> {
  return new Set(text.split('\n').filter(Boolean).map(moduleName));
}

/**
 * The modules to load for `roots`, dependencies first. `depends(name)` returns a module file's
 * dependencies, or null when there is no such file.
 */
export function loadOrder(
  roots: string[],
  depends: (name: string) => string[] | null,
  builtin: Set<string>,
): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting')
      throw new Error(`module dependency cycle: ${[...chain, name].join(' -> ')}`);
    const deps = depends(name);
    if (deps === null) {
      if (!builtin.has(name)) {
        throw new Error(
          `module ${name} (needed by ${chain.join(' -> ') || 'the guest'}) is neither a file nor built in`,
        );
      }
      state.set(name, 'done');
      return;
    }
    state.set(name, 'visiting');
    for (const dep of deps) visit(dep, [...chain, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const root of roots) visit(root, []);
  return order;
}
