/**
 * A multi-pattern substring matcher (Aho-Corasick, compiled to a dense DFA): built once from a set
 * of literals, it reads a text once, left to right, and reports every literal that occurs in it,
 * whatever their number. The ruleset's literal prefilter (literal-index.ts) runs one per field.
 *
 * Literals are ASCII. Code units are mapped to a small alphabet (those the literals use; every
 * other ASCII unit is one class that leads back to the root), so the transition table is
 * states x classes integers; the scan stops at the first unit outside ASCII and says so.
 */

const ASCII = 128;

export class LiteralAutomaton {
  /** ASCII unit -> alphabet class (0: a unit no literal uses). */
  private readonly flat: Uint8Array;
  private readonly classes: number;
  /** delta[state * classes + class] -> next state. */
  private readonly delta: Int32Array;
  /** Per state, the literals (by index) ending there, its failure chain included; null: none. */
  private readonly out: (Int32Array | null)[];

  constructor(readonly literals: readonly string[]) {
    this.flat = new Uint8Array(ASCII);
    let classes = 1;
    for (const lit of literals) {
      for (let i = 0; i < lit.length; i++) {
        const u = lit.charCodeAt(i);
        if (u >= ASCII) throw new Error(`literal '${lit}' is not ASCII`);
        if (this.flat[u] === 0) this.flat[u] = classes++;
      }
    }
    this.classes = classes;
    // The trie: goto[state][class], -1 where there is no edge yet.
    const goto: Int32Array[] = [new Int32Array(classes).fill(-1)];
    const ends: number[][] = [[]];
    literals.forEach((lit, index) => {
      let s = 0;
      for (let i = 0; i < lit.length; i++) {
        const c = this.flat[lit.charCodeAt(i)];
        if (goto[s][c] < 0) {
          goto[s][c] = goto.length;
          goto.push(new Int32Array(classes).fill(-1));
          ends.push([]);
        }
        s = goto[s][c];
      }
      ends[s].push(index);
    });
    // Breadth first: each state's failure link, missing edges filled from it (a DFA), outputs merged.
    const fail = new Int32Array(goto.length);
    const delta = new Int32Array(goto.length * classes);
    const queue: number[] = [];
    for (let c = 0; c < classes; c++) {
      const t = goto[0][c];
      delta[c] = t < 0 ? 0 : t;
      if (t > 0) queue.push(t);
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q];
      for (let c = 0; c < classes; c++) {
        const t = goto[s][c];
        if (t < 0) {
          delta[s * classes + c] = delta[fail[s] * classes + c];
          continue;
        }
        delta[s * classes + c] = t;
        fail[t] = delta[fail[s] * classes + c];
        ends[t].push(...ends[fail[t]]);
        queue.push(t);
      }
    }
    this.delta = delta;
    this.out = ends.map((e) => (e.length === 0 ? null : Int32Array.from(new Set(e))));
  }

  /**
   * Calls `found(i)` for each literal i occurring in `text` (at each occurrence: it may repeat).
   * Returns false, having stopped, at the first unit outside ASCII.
   */
  scan(text: string, found: (literal: number) => void): boolean {
    const { flat, classes, delta, out } = this;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const u = text.charCodeAt(i);
      if (u >= ASCII) return false;
      s = delta[s * classes + flat[u]];
      const o = out[s];
      if (o !== null) for (let k = 0; k < o.length; k++) found(o[k]);
    }
    // The empty literal occurs in every text: it ends at the root, before any unit.
    const root = out[0];
    if (root !== null) for (let k = 0; k < root.length; k++) found(root[k]);
    return true;
  }
}
