/**
 * Character-level scanning for the condition parser. Falco's grammar is
 * context-dependent (a bare word is a macro name, a value or a list name
 * depending on where it stands), so the parser asks for the token kind it
 * expects next instead of consuming a token stream.
 */
import { ConditionError, type Origin } from './condition-error.js';

const BLANK = /[ \t\b\r\n]*/y;
/** Falco: a field name has at least one dot: `proc.name`, `evt.arg.flags`. */
const FIELD_NAME = /[a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z][a-zA-Z0-9_]*)+/y;
const IDENTIFIER = /[a-zA-Z][a-zA-Z0-9_]*/y;
const FIELD_ARG_BARE = /[^\][\s"']+/y;
const NUMBER = /(?:0[xX][0-9a-zA-Z]+|[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?)/y;
const BARE_STRING = /[^()"'\s=,]+/y;
const SYMBOL_OPERATOR = /==|=|!=|<=|<|>=|>/y;
const WORD = /[a-zA-Z_][a-zA-Z0-9_.]*/y;
/** What a "token" looks like in an error message: a word, or one character. */
const ANY_TOKEN = /[a-zA-Z0-9_.]+|\S/y;

export interface Token {
  text: string;
  start: number;
  end: number;
}

export class Scanner {
  pos = 0;
  constructor(
    readonly text: string,
    readonly origin: Origin,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** Skips blanks; returns whether there were any. */
  blank(): boolean {
    BLANK.lastIndex = this.pos;
    BLANK.exec(this.text);
    const moved = BLANK.lastIndex > this.pos;
    this.pos = BLANK.lastIndex;
    return moved;
  }

  peekChar(): string {
    return this.text.charAt(this.pos);
  }

  /** Consumes `s` when the text continues with it. */
  eat(s: string): Token | null {
    if (!this.text.startsWith(s, this.pos)) return null;
    const start = this.pos;
    this.pos += s.length;
    return { text: s, start, end: this.pos };
  }

  /** Consumes a keyword (`and`, `or`, `not`) only when no word character follows it. */
  eatKeyword(word: string): Token | null {
    if (!this.text.startsWith(word, this.pos)) return null;
    const next = this.text.charAt(this.pos + word.length);
    if (/[a-zA-Z0-9_.]/.test(next)) return null;
    return this.eat(word);
  }

  private sticky(re: RegExp): Token | null {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (m === null || m[0].length === 0) return null;
    const start = this.pos;
    this.pos += m[0].length;
    return { text: m[0], start, end: this.pos };
  }

  fieldName(): Token | null {
    return this.sticky(FIELD_NAME);
  }
  identifier(): Token | null {
    return this.sticky(IDENTIFIER);
  }
  fieldArgBare(): Token | null {
    return this.sticky(FIELD_ARG_BARE);
  }
  number(): Token | null {
    return this.sticky(NUMBER);
  }
  bareString(): Token | null {
    return this.sticky(BARE_STRING);
  }
  symbolOperator(): Token | null {
    return this.sticky(SYMBOL_OPERATOR);
  }
  word(): Token | null {
    return this.sticky(WORD);
  }

  /** The next token, for error messages; does not move. */
  peekToken(): Token {
    ANY_TOKEN.lastIndex = this.pos;
    const m = ANY_TOKEN.exec(this.text);
    if (m === null) return { text: '', start: this.pos, end: this.pos };
    return { text: m[0], start: this.pos, end: this.pos + m[0].length };
  }

  /**
   * A quoted string ('...' or "..."), unescaped as Falco's unescape_str does:
   * \b \f \n \r \t \\ \/ and the string's own quote; `\ ` gives a backslash (Falco
   * keeps that for old rules); any other escape is an error, so a regex digit class
   * is written '\\d'.
   */
  quotedString(): Token | null {
    const quote = this.peekChar();
    if (quote !== '"' && quote !== "'") return null;
    const start = this.pos;
    let out = '';
    for (let i = start + 1; i < this.text.length; i++) {
      const c = this.text.charAt(i);
      if (c === quote) {
        this.pos = i + 1;
        return { text: out, start, end: this.pos };
      }
      if (c !== '\\' || i + 1 >= this.text.length) {
        out += c;
        continue;
      }
      const n = this.text.charAt(++i);
      const esc = ESCAPES[n];
      if (esc !== undefined) out += esc;
      else if (n === quote) out += n;
      else throw this.error(`unsupported string escape sequence: \\${n}`, i - 1, i + 1);
    }
    throw this.error('unterminated string', start, this.text.length);
  }

  error(message: string, start: number, end: number): ConditionError {
    return new ConditionError(message, this.origin, start, end);
  }
}

const ESCAPES: Record<string, string> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  ' ': '\\',
  '\\': '\\',
  '/': '/',
};
