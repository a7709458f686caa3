/**
 * What the engine derives from a path (its components for pmatch and the path index, its directory and
 * file name for fd.directory / fd.filename), kept per path: many rules ask about the same event's paths,
 * and the same paths recur from event to event (programs, libraries, configuration) in new string
 * objects. The last few paths are found by identity; others by content in a bounded table (4096 paths
 * of at most 512 characters, cleared when full), so each is split and cut once, not once per rule and
 * event.
 */
export interface PathFacts {
  readonly path: string;
  /** Non-empty components: `/var//run/` -> var, run (Falco's split_path). */
  components: readonly string[] | undefined;
  /** Up to the last '/' ('/' for a file at the root; null without a '/'). */
  directory: string | null | undefined;
  /** After the last '/'. */
  filename: string | undefined;
}

const MEMO = 4;
const memo: (PathFacts | undefined)[] = new Array<PathFacts | undefined>(MEMO).fill(undefined);
let memoNext = 0;
const RECENT_MAX = 4096;
const RECENT_MAX_LENGTH = 512;
const recent = new Map<string, PathFacts>();

function factsOf(path: string): PathFacts {
  for (let i = 0; i < MEMO; i++) {
    const m = memo[i];
    if (m !== undefined && m.path === path) return m;
  }
  let facts = recent.get(path);
  if (facts === undefined) {
    facts = { path, components: undefined, directory: undefined, filename: undefined };
    if (path.length <= RECENT_MAX_LENGTH) {
      if (recent.size >= RECENT_MAX) recent.clear();
      recent.set(path, facts);
    }
  }
  memo[memoNext] = facts;
  memoNext = (memoNext + 1) % MEMO;
  return facts;
}

export function pathComponents(path: string): readonly string[] {
  const f = factsOf(path);
  return (f.components ??= path.split('/').filter((c) => c !== ''));
}

/** The directory part of a file's path: '/' for /x, undefined without a '/'. */
export function pathDirectory(path: string): string | undefined {
  const f = factsOf(path);
  if (f.directory === undefined) {
    const slash = path.lastIndexOf('/');
    f.directory = slash < 0 ? null : slash === 0 ? '/' : path.slice(0, slash);
  }
  return f.directory ?? undefined;
}

/** The file name part of a path: after its last '/'. */
export function pathFilename(path: string): string {
  const f = factsOf(path);
  return (f.filename ??= path.slice(path.lastIndexOf('/') + 1));
}
