/** Syntax tree of the SDK expression language. */

/** An expression node. */
export type Expr =
  | { readonly type: "literal"; readonly value: string | number | boolean | null }
  | { readonly type: "name"; readonly name: string; readonly offset: number }
  | { readonly type: "array"; readonly items: readonly Expr[] }
  | { readonly type: "object"; readonly entries: readonly { key: string; value: Expr }[] }
  | { readonly type: "member"; readonly object: Expr; readonly name: string; readonly offset: number }
  | { readonly type: "index"; readonly object: Expr; readonly index: Expr }
  | { readonly type: "call"; readonly callee: Expr; readonly args: readonly Expr[]; readonly kwargs: readonly { name: string; value: Expr }[]; readonly offset: number }
  | { readonly type: "closure"; readonly params: readonly string[]; readonly body: Expr }
  | { readonly type: "neg"; readonly operand: Expr };
