/**
 * Tokenizer of the SDK expression language used by `sdk_translation` vectors: identifiers,
 * numbers, single/double-quoted strings with escapes, and the punctuation of method chains,
 * closures (`|e| ...`, `e => ...`), calls with keyword arguments and `::` paths. Errors give the
 * character offset.
 */

/** Token kinds. */
export type TokenKind = "ident" | "number" | "string" | "punct" | "eof";

/** One token with its source offset. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** Decoded value for strings and numbers. */
  readonly value?: string | number;
  readonly offset: number;
}

/** A syntax error at a character offset. */
export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = "ExprSyntaxError";
  }
}

const PUNCT = ["=>", "::", "(", ")", "[", "]", "{", "}", ",", ".", "|", "=", "!", "&", "-", ":", "?", ";"];

const ESCAPES: Readonly<Record<string, string>> = { n: "\n", r: "\r", t: "\t", "0": "\0", "\\": "\\", "'": "'", '"': '"' };

/** Splits an expression into tokens. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i))!;
      out.push({ kind: "ident", text: m[0], offset: i });
      i += m[0].length;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^(0x[0-9a-fA-F]+|[0-9][0-9_]*(\.[0-9]+)?)/.exec(src.slice(i))!;
      out.push({ kind: "number", text: m[0], value: Number(m[0].replace(/_/g, "")), offset: i });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = "";
      while (j < src.length && src[j] !== c) {
        if (src[j] === "\\") {
          const e = src[j + 1];
          if (e === undefined || ESCAPES[e] === undefined) throw new ExprSyntaxError(`unknown escape \\${e ?? ""}`, j);
          s += ESCAPES[e];
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new ExprSyntaxError("unterminated string", i);
      out.push({ kind: "string", text: src.slice(i, j + 1), value: s, offset: i });
      i = j + 1;
      continue;
    }
    const p = PUNCT.find((q) => src.startsWith(q, i));
    if (p === undefined) throw new ExprSyntaxError(`unexpected character ${JSON.stringify(c)}`, i);
    out.push({ kind: "punct", text: p, offset: i });
    i += p.length;
  }
  out.push({ kind: "eof", text: "", offset: src.length });
  return out;
}
