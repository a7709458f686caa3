/**
 * Paths as Falco shows fd.name: absolute, with '.', '..' and repeated slashes
 * resolved lexically (symlinks are not followed: the kernel's walk may differ,
 * as in Falco).
 */

/** `raw` made absolute against `dir` (an absolute directory) and normalised. */
export function resolvePath(dir: string, raw: string): string {
  if (raw === '') return dir === '' ? '' : normalize(dir);
  if (raw.charCodeAt(0) === 47 /* '/' */) return isNormal(raw) ? raw : normalize(raw);
  if (dir === '') return raw; // nothing to resolve against: keep what the process passed
  return normalize(`${dir}/${raw}`);
}

/** Fast check for the common case, in one pass: no '//', no '.' or '..' component, no trailing '/'. */
function isNormal(p: string): boolean {
  const n = p.length;
  for (let i = 0; i < n; i++) {
    if (p.charCodeAt(i) !== 47) continue;
    if (i + 1 === n) return n === 1; // trailing slash (but '/' itself is fine)
    const c1 = p.charCodeAt(i + 1);
    if (c1 === 47) return false;
    if (c1 !== 46) continue;
    // "/." : a '.' or '..' component when followed by '/' or the end
    if (i + 2 === n || p.charCodeAt(i + 2) === 47) return false;
    if (p.charCodeAt(i + 2) === 46 && (i + 3 === n || p.charCodeAt(i + 3) === 47)) return false;
  }
  return true;
}

function normalize(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
