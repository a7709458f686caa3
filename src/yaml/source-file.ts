/**
 * Source positions: a loaded rule file and the mapping from offsets into its
 * text to 1-based line:col, and from offsets into a decoded YAML scalar (a
 * condition, an output template) back to offsets into the file.
 */
export interface Position {
  line: number;
  col: number;
}

export class SourceFile {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly path: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** 1-based line and column of a file offset (columns count UTF-16 units, as editors mostly do). */
  position(offset: number): Position {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo] + 1 };
  }
}

/** A place in a file: what every loaded item, key and value remembers. */
export interface Loc {
  file: SourceFile;
  offset: number;
}

/**
 * Maps each character of a decoded scalar to the file offset it came from.
 * YAML folds lines, strips indentation and decodes escapes, so the decoded
 * text and the raw text differ; this walks both in step. Source characters
 * with no counterpart in the value (indentation, folded line breaks, quote
 * doubling, escape sequences' tails) are skipped.
 */
export function alignScalar(value: string, raw: string, rawStart: number, doubleQuoted: boolean): number[] {
  const map = new Array<number>(value.length + 1);
  let j = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    let escaped = false;
    while (j < raw.length) {
      const r = raw[j];
      if (doubleQuoted && r === '\\') {
        const next = raw[j + 1];
        if (next === '\n' || next === '\r') {
          j += 2; // escaped line break: joins lines, yields nothing
          continue;
        }
        escaped = true; // an escape sequence yields this one character
        break;
      }
      if (r === c) break;
      if (r === ' ' || r === '\t' || r === '\n' || r === '\r' || r === "'") {
        j++;
        continue;
      }
      break;
    }
    if (j >= raw.length) {
      // Cannot happen for a value decoded from this raw text; keep offsets sane anyway.
      map[i] = rawStart + Math.max(0, raw.length - 1);
      continue;
    }
    map[i] = rawStart + j;
    j += escaped ? escapeLength(raw, j) : 1;
  }
  map[value.length] = rawStart + Math.min(j, raw.length);
  return map;
}

function escapeLength(raw: string, j: number): number {
  switch (raw[j + 1]) {
    case 'x':
      return 4;
    case 'u':
      return 6;
    case 'U':
      return 10;
    default:
      return 2;
  }
}
