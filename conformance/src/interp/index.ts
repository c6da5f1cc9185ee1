/** The SDK expression interpreter: tokenizer, parser and evaluator. */
export { tokenize, ExprSyntaxError, type Token } from "./lexer.js";
export { parseExpr } from "./parser.js";
export type { Expr } from "./ast.js";
export { evaluateExpr, ExprEvalError, camel, type ExprEnv } from "./evaluate.js";
