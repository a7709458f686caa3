/**
 * Text assembled from pieces of rule files: a rule's condition plus appended
 * conditions plus its exceptions turned into condition text, as Falco builds
 * it. Each piece remembers where it came from, so an offset anywhere in the
 * assembled text maps back to file:line:col. A LocatedText is the `Origin`
 * handed to parseCondition.
 */
import type { ItemRef } from './diagnostics.js';
import type { Loc } from '../../yaml/source-file.js';
import type { YScalar } from '../../yaml/yaml-tree.js';

interface Piece {
  start: number;
  end: number;
  /** File offsets per character (scalar pieces) or one place for all (generated text). */
  offsets: number[] | null;
  loc: Loc;
}

export class LocatedText {
  text = '';
  private readonly pieces: Piece[] = [];

  constructor(readonly item: ItemRef) {}

  /** Appends a YAML scalar's decoded text, mapped character by character. */
  scalar(node: YScalar): this {
    return this.push(node.text, node.offsets(), node.loc);
  }

  /** Appends generated text (joins, parentheses, exception clauses) that points at `loc`. */
  generated(text: string, loc: Loc): this {
    return this.push(text, null, loc);
  }

  private push(text: string, offsets: number[] | null, loc: Loc): this {
    const start = this.text.length;
    this.text += text;
    this.pieces.push({ start, end: this.text.length, offsets, loc });
    return this;
  }

  /** The file place of an offset into `text`. */
  locAt(offset: number): Loc {
    const pieces = this.pieces;
    if (pieces.length === 0) throw new Error('empty LocatedText');
    const p = pieces.find((q) => offset >= q.start && offset < q.end) ?? pieces[pieces.length - 1];
    if (p.offsets === null) return p.loc;
    const i = Math.max(0, Math.min(offset - p.start, p.offsets.length - 1));
    return { file: p.loc.file, offset: p.offsets[i] };
  }
}
