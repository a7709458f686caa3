/**
 * Secrets come from the environment, never from the file: a string value may
 * hold `${ENV:NAME}` (the variable must be set) or `${ENV:NAME:-fallback}`.
 * Only whole references are replaced; anything else stays as written. The
 * substituted values are never part of an error message.
 */

const ENV_REF = /\$\{ENV:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface EnvRefProblem {
  /** JSON pointer of the value holding the reference. */
  pointer: string;
  message: string;
}

/** Replaces references in every string of `value`, in place; returns the problems found. */
export function expandEnvRefs(value: unknown, env: NodeJS.ProcessEnv, pointer = ''): EnvRefProblem[] {
  const problems: EnvRefProblem[] = [];
  const expand = (s: string, at: string): string =>
    s.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      problems.push({ pointer: at, message: `environment variable ${name} is not set` });
      return '';
    });
  const walk = (node: unknown, at: string): unknown => {
    if (typeof node === 'string') return expand(node, at);
    if (Array.isArray(node)) {
      node.forEach((item, i) => (node[i] = walk(item, `${at}/${i}`)));
    } else if (node !== null && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      for (const k of Object.keys(obj))
        obj[k] = walk(obj[k], `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    }
    return node;
  };
  walk(value, pointer);
  return problems;
}
