/**
 * The open prefilter as the sensor writes it to its maps (open-filter-maps.ts) and the kernel
 * judges opens with it (bpf/tracepoints/vg_open_filter.h): the plan's shape, the maps' limits, and
 * a model of the kernel's decision. src/plan/open-filter.ts derives a plan from the rules.
 */

/** Bytes of a trie key's data: the generation byte, then the path (LPM tries hold at most 256). */
export const KEY_DATA = 256;
/** Longest path (without its NUL) the kernel judges; longer ones are reported. */
export const MAX_PATH = KEY_DATA - 4;
/** Entries per trie (the maps' max_entries). */
export const MAX_ENTRIES = 4096;
/** Bits of the component bloom bitmap. */
export const BLOOM_BITS = 4096;

/** What the open's flags and result must be: access mode in `acc` (bit m = mode m), `bits` (0: none). */
export interface FlagNeed {
  acc: number;
  success: boolean;
  bits: number;
}

export interface OpenFilterPlan {
  on: boolean;
  /** Why the filter is off (the first rule that allows any open), or null. */
  off: string | null;
  /** Rules on open types the plan was derived from. */
  rules: number;
  /** Needs by key: prefixes and exact paths (exact: the path with a trailing NUL). Ancestors folded in. */
  prefixes: Map<string, FlagNeed>;
  /** Needs by suffix (not reversed here). Shorter matching suffixes folded in. */
  suffixes: Map<string, FlagNeed>;
  components: Set<string>;
  /**
   * Every absolute exact path a rule on opens names, with its need, whether the filter is on or
   * not: these files are also known by identity (file-identities.ts), so a hard link, bind mount,
   * symlink or handle that reaches one is reported and named by this path.
   */
  exact: Map<string, FlagNeed>;
  /** The need of every component alternative together, and of alternatives with any path. */
  componentNeed: FlagNeed | null;
  anyNeed: FlagNeed | null;
}

/** Whether the flags and result meet a need (the kernel's vg_of_need_ok). */
export function needMet(n: FlagNeed | null | undefined, flags: number, ret: number): boolean {
  if (!n) return false;
  if ((n.acc & (1 << (flags & 3))) === 0) return false;
  if (n.success && ret < 0) return false;
  if (n.bits !== 0 && (flags & n.bits) === 0) return false;
  return true;
}

/** The longest key of `entries` that begins `s` (an LPM lookup). */
function longest(entries: Map<string, FlagNeed>, s: string): FlagNeed | undefined {
  let best: string | undefined;
  for (const k of entries.keys())
    if (s.startsWith(k) && (best === undefined || k.length > best.length)) best = k;
  return best === undefined ? undefined : entries.get(best);
}

/** The kernel's path checks: undefined when the path cannot be judged (it is reported), else components. */
function judgeable(path: string): string[] | undefined {
  if (
    !path.startsWith('/') ||
    path.length > MAX_PATH ||
    [...path].some((c) => c.charCodeAt(0) === 0 || c.charCodeAt(0) > 0x7f)
  )
    return undefined;
  if (path.length > 1 && path.endsWith('/')) return undefined;
  const parts = path.split('/').slice(1);
  return parts.some((c) => c === '' || c === '.' || c === '..') ? undefined : parts;
}

/**
 * What the kernel decides for an open (a model of vg_open_wanted, with the component set exact
 * where the kernel's bloom bitmap may also let through others): true = reported.
 */
export function openWanted(plan: OpenFilterPlan, path: string, flags: number, ret: number): boolean {
  if (!plan.on) return true;
  if (needMet(plan.anyNeed, flags, ret)) return true;
  const parts = judgeable(path);
  if (parts === undefined) return true;
  if (parts.some((c) => plan.components.has(c)) && needMet(plan.componentNeed, flags, ret)) return true;
  if (needMet(longest(plan.prefixes, `${path}\0`), flags, ret)) return true;
  return needMet(longestSuffix(plan.suffixes, path), flags, ret);
}

function longestSuffix(entries: Map<string, FlagNeed>, s: string): FlagNeed | undefined {
  let best: string | undefined;
  for (const k of entries.keys())
    if (s.endsWith(k) && (best === undefined || k.length > best.length)) best = k;
  return best === undefined ? undefined : entries.get(best);
}
