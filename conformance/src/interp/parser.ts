/**
 * Recursive-descent parser of the SDK expression language: method chains (`a.b(c).d()`, Rust
 * paths `A::new()`), calls with positional and keyword arguments (`f(x, port=443)`), closures
 * (`|e| body`, `e => body`, `(a, b) => body`), array literals (`[...]`, Rust `vec![...]`,
 * `&[...]`), object literals (`{key: value}`), strings, numbers, booleans (`true`/`True`), `None`/`null`, unary minus, and a
 * trailing Rust `?` or `;` (ignored). Nothing else: there are no operators, assignments or
 * statements, so evaluation can only call what the environment exposes.
 */
import type { Expr } from "./ast.js";
import { ExprSyntaxError, tokenize, type Token } from "./lexer.js";

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}
  private peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  private next(): Token {
    return this.toks[this.i++]!;
  }
  private isP(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === "punct" && t.text === text;
  }
  private expect(text: string): Token {
    const t = this.next();
    if (t.kind !== "punct" || t.text !== text) throw new ExprSyntaxError(`expected \`${text}\`, found \`${t.text || "end of input"}\``, t.offset);
    return t;
  }
  parseAll(): Expr {
    const e = this.expr();
    while (this.isP("?") || this.isP(";")) this.next();
    const t = this.peek();
    if (t.kind !== "eof") throw new ExprSyntaxError(`unexpected \`${t.text}\``, t.offset);
    return e;
  }
  expr(): Expr {
    // closures
    if (this.isP("|")) {
      this.next();
      const params: string[] = [];
      while (!this.isP("|")) {
        const t = this.next();
        if (t.kind !== "ident") throw new ExprSyntaxError("expected a closure parameter", t.offset);
        params.push(t.text);
        if (this.isP(",")) this.next();
      }
      this.expect("|");
      return { type: "closure", params, body: this.expr() };
    }
    if (this.peek().kind === "ident" && this.isP("=>", 1)) {
      const p = this.next().text;
      this.next();
      return { type: "closure", params: [p], body: this.expr() };
    }
    if (this.isP("(") && this.arrowParams()) {
      this.next();
      const params: string[] = [];
      while (!this.isP(")")) {
        params.push(this.next().text);
        if (this.isP(",")) this.next();
      }
      this.expect(")");
      this.expect("=>");
      return { type: "closure", params, body: this.expr() };
    }
    if (this.isP("-")) {
      this.next();
      return { type: "neg", operand: this.postfix() };
    }
    return this.postfix();
  }
  /** True when `( ident, ... ) =>` follows. */
  private arrowParams(): boolean {
    let k = 1;
    while (this.peek(k).kind === "ident" || this.isP(",", k)) k++;
    return this.isP(")", k) && this.isP("=>", k + 1);
  }
  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isP(".") || this.isP("::")) {
        this.next();
        const t = this.next();
        if (t.kind !== "ident") throw new ExprSyntaxError("expected a member name", t.offset);
        e = { type: "member", object: e, name: t.text, offset: t.offset };
      } else if (this.isP("(")) {
        const open = this.next();
        const args: Expr[] = [];
        const kwargs: { name: string; value: Expr }[] = [];
        while (!this.isP(")")) {
          if (this.peek().kind === "ident" && this.isP("=", 1)) {
            const name = this.next().text;
            this.next();
            kwargs.push({ name, value: this.expr() });
          } else {
            if (kwargs.length > 0) throw new ExprSyntaxError("positional argument after keyword argument", this.peek().offset);
            args.push(this.expr());
          }
          if (!this.isP(",")) break;
          this.next();
        }
        this.expect(")");
        e = { type: "call", callee: e, args, kwargs, offset: open.offset };
      } else if (this.isP("[")) {
        this.next();
        const index = this.expr();
        this.expect("]");
        e = { type: "index", object: e, index };
      } else return e;
    }
  }
  private array(close: string): Expr {
    const items: Expr[] = [];
    while (!this.isP(close)) {
      items.push(this.expr());
      if (!this.isP(",")) break;
      this.next();
    }
    this.expect(close);
    return { type: "array", items };
  }
  private object(): Expr {
    const entries: { key: string; value: Expr }[] = [];
    while (!this.isP("}")) {
      const k = this.next();
      if (k.kind !== "ident" && k.kind !== "string") throw new ExprSyntaxError("expected an object key", k.offset);
      this.expect(":");
      entries.push({ key: k.kind === "string" ? String(k.value) : k.text, value: this.expr() });
      if (!this.isP(",")) break;
      this.next();
    }
    this.expect("}");
    return { type: "object", entries };
  }
  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case "number":
        return { type: "literal", value: t.value as number };
      case "string":
        return { type: "literal", value: t.value as string };
      case "ident":
        if (t.text === "true" || t.text === "True") return { type: "literal", value: true };
        if (t.text === "false" || t.text === "False") return { type: "literal", value: false };
        if (t.text === "None" || t.text === "null" || t.text === "undefined") return { type: "literal", value: null };
        if (t.text === "vec" && this.isP("!")) {
          this.next();
          this.expect("[");
          return this.array("]");
        }
        if (t.text === "new" && this.peek().kind === "ident") return this.postfix();
        return { type: "name", name: t.text, offset: t.offset };
      case "punct":
        if (t.text === "[") return this.array("]");
        if (t.text === "{") return this.object();
        if (t.text === "&") return this.primary();
        if (t.text === "(") {
          const e = this.expr();
          this.expect(")");
          return e;
        }
        throw new ExprSyntaxError(`unexpected \`${t.text}\``, t.offset);
      default:
        throw new ExprSyntaxError("unexpected end of input", t.offset);
    }
  }
}

/** Parses one expression. */
export function parseExpr(src: string): Expr {
  return new Parser(tokenize(src)).parseAll();
}
