/**
 * Evaluator of the SDK expression language over an explicit environment: names resolve only to
 * what the environment binds (or to methods of its implicit receivers, so `egress(|e| ...)` means
 * `<policy builder>.egress(...)`); members are looked up as written, then in camelCase (so Rust
 * spellings `allow_public`/`NetworkBuilder::new` drive the TypeScript builders); classes are
 * instantiated with `new`; keyword arguments arrive as one trailing options object. Reflective
 * names (`constructor`, `prototype`, `__proto__`, `call`, `apply`, `bind`, ...) are refused, so an
 * expression cannot reach anything but the dialect APIs.
 */
import type { Expr } from "./ast.js";
import { parseExpr } from "./parser.js";

/** An evaluation environment. */
export interface ExprEnv {
  /** Bound names (classes, namespaces, values). */
  readonly names: Readonly<Record<string, unknown>>;
  /** Objects whose methods bare names may call (tried in order). */
  readonly implicit?: readonly object[];
}

/** An evaluation error (unknown name, member, bad call). */
export class ExprEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExprEvalError";
  }
}

const FORBIDDEN = new Set(["constructor", "prototype", "__proto__", "call", "apply", "bind", "caller", "callee", "arguments", "eval", "Function", "globalThis", "process", "require", "import"]);

/** `allow_public` → `allowPublic`, `ipv4_pool` → `ipv4Pool`. */
export function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function isClass(f: unknown): boolean {
  return typeof f === "function" && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

function member(obj: unknown, name: string): { found: boolean; value: unknown } {
  if (FORBIDDEN.has(name) || name.startsWith("__")) throw new ExprEvalError(`member \`${name}\` is not accessible`);
  if ((typeof obj !== "object" && typeof obj !== "function") || obj === null) return { found: false, value: undefined };
  for (const n of [name, camel(name)]) {
    if (n in (obj as object)) {
      const v = Reflect.get(obj as object, n) as unknown;
      return { found: true, value: typeof v === "function" && !isClass(v) ? (v as (...a: unknown[]) => unknown).bind(obj) : v };
    }
  }
  return { found: false, value: undefined };
}

type Scope = ReadonlyMap<string, unknown>;

function evaluate(e: Expr, env: ExprEnv, scope: Scope): unknown {
  switch (e.type) {
    case "literal":
      return e.value;
    case "neg": {
      const v = evaluate(e.operand, env, scope);
      if (typeof v !== "number") throw new ExprEvalError("unary minus needs a number");
      return -v;
    }
    case "array":
      return e.items.map((i) => evaluate(i, env, scope));
    case "object": {
      const o: Record<string, unknown> = {};
      for (const { key, value } of e.entries) {
        if (FORBIDDEN.has(key) || key.startsWith("__")) throw new ExprEvalError(`object key \`${key}\` is not allowed`);
        o[key] = evaluate(value, env, scope);
      }
      return o;
    }
    case "name": {
      if (scope.has(e.name)) return scope.get(e.name);
      if (Object.prototype.hasOwnProperty.call(env.names, e.name)) return env.names[e.name];
      for (const r of env.implicit ?? []) {
        const m = member(r, e.name);
        if (m.found) return m.value;
      }
      throw new ExprEvalError(`unknown name \`${e.name}\``);
    }
    case "member": {
      const obj = evaluate(e.object, env, scope);
      const m = member(obj, e.name);
      if (!m.found) throw new ExprEvalError(`\`${e.name}\` is not a member of ${describe(obj)}`);
      return m.value;
    }
    case "index": {
      const obj = evaluate(e.object, env, scope);
      const i = evaluate(e.index, env, scope);
      if (!Array.isArray(obj) || typeof i !== "number") throw new ExprEvalError("indexing needs an array and a number");
      return obj[i];
    }
    case "closure":
      return (...args: unknown[]) => {
        const inner = new Map(scope);
        e.params.forEach((p, k) => inner.set(p, args[k]));
        return evaluate(e.body, env, inner);
      };
    case "call": {
      const f = evaluate(e.callee, env, scope);
      const args = e.args.map((a) => evaluate(a, env, scope));
      if (e.kwargs.length > 0) args.push(Object.fromEntries(e.kwargs.map((k) => [k.name, evaluate(k.value, env, scope)])));
      if (typeof f !== "function") throw new ExprEvalError(`${describe(f)} is not callable`);
      return isClass(f) ? Reflect.construct(f, args) : (f as (...a: unknown[]) => unknown)(...args);
    }
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === "function") return `function ${v.name || "(anonymous)"}`;
  if (typeof v === "object") return `object ${(v as object).constructor?.name ?? "Object"}`;
  return JSON.stringify(v);
}

/** Parses and evaluates one expression in an environment. */
export function evaluateExpr(src: string, env: ExprEnv): unknown {
  return evaluate(parseExpr(src), env, new Map());
}
