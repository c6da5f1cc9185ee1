/**
 * Per-connection secret classification (§6.3) as pure functions: which secrets are eligible for
 * substitution on a connection, which pass their placeholder through untouched, and which are
 * violations with which blocking action (the strictest wins: terminate > log > block).
 */
import { normalizeHostPattern, secretHostAllowed, hostPatternMatches, type HostPattern, type SecretConnection } from "./hosts.js";

/** Blocking violation actions, in increasing strictness. */
export type BlockingAction = "block" | "block-and-log" | "block-and-terminate";
/** Wire violation action (aliases accepted on input by {@link normalizeViolationAction}). */
export type ViolationAction = BlockingAction | { readonly passthrough: readonly HostPattern[] };

/** Normalized violation action. */
export type NormalizedViolationAction = { kind: "block"; action: BlockingAction } | { kind: "passthrough"; hosts: readonly HostPattern[] };

const ALIASES: Record<string, BlockingAction> = {
  block: "block",
  Block: "block",
  "block-and-log": "block-and-log",
  block_and_log: "block-and-log",
  BlockAndLog: "block-and-log",
  "block-and-terminate": "block-and-terminate",
  block_and_terminate: "block-and-terminate",
  BlockAndTerminate: "block-and-terminate",
};

/** Normalizes a violation action (string aliases, `{passthrough}` / `{Passthrough}`, bare `"passthrough"` = any host). */
export function normalizeViolationAction(a: unknown): NormalizedViolationAction {
  if (typeof a === "string") {
    const b = ALIASES[a];
    if (b !== undefined) return { kind: "block", action: b };
    if (a === "passthrough" || a === "Passthrough") return { kind: "passthrough", hosts: ["any"] };
  } else if (typeof a === "object" && a !== null) {
    const o = a as Record<string, unknown>;
    const hosts = o.passthrough ?? o.Passthrough;
    if (Array.isArray(hosts)) return { kind: "passthrough", hosts: hosts as HostPattern[] };
  }
  throw new Error(
    `invalid violation action ${JSON.stringify(a)}; expected "block", "block-and-log", "block-and-terminate" or {"passthrough": [host patterns]}`,
  );
}

/** The secret fields classification needs. */
export interface SecretLike {
  readonly env_var: string;
  readonly placeholder: string;
  readonly allowed_hosts: readonly HostPattern[];
  readonly on_violation?: ViolationAction | undefined;
}

/** Classification of one secret on one connection. */
export type SecretClass =
  | { readonly kind: "eligible" }
  | { readonly kind: "passthrough" }
  | { readonly kind: "violation"; readonly action: BlockingAction };

/** §6.3 for one secret. `globalAction` is the network-wide `on_violation` (default block-and-log). */
export function classifySecret(secret: SecretLike, conn: SecretConnection, globalAction: ViolationAction = "block-and-log"): SecretClass {
  if (secret.allowed_hosts.some((p) => secretHostAllowed(p, conn))) return { kind: "eligible" };
  const matchesHost = (hosts: readonly HostPattern[]) => hosts.some((p) => hostPatternMatches(normalizeHostPattern(p), conn.host));
  let effective = normalizeViolationAction(globalAction);
  if (secret.on_violation !== undefined) {
    const own = normalizeViolationAction(secret.on_violation);
    if (own.kind !== "passthrough" || matchesHost(own.hosts)) effective = own;
  }
  if (effective.kind === "passthrough") {
    return matchesHost(effective.hosts) ? { kind: "passthrough" } : { kind: "violation", action: "block-and-log" };
  }
  return { kind: "violation", action: effective.action };
}

/** Classifies every secret; a placeholder shared with an eligible secret is never a violation. */
export function classifySecrets(
  secrets: readonly SecretLike[],
  conn: SecretConnection,
  globalAction: ViolationAction = "block-and-log",
): SecretClass[] {
  const out = secrets.map((s) => classifySecret(s, conn, globalAction));
  const eligiblePlaceholders = new Set(secrets.filter((_, i) => out[i]!.kind === "eligible").map((s) => s.placeholder));
  return out.map((c, i) => (c.kind === "violation" && eligiblePlaceholders.has(secrets[i]!.placeholder) ? { kind: "eligible" } : c));
}

const RANK: Record<BlockingAction, number> = { block: 0, "block-and-log": 1, "block-and-terminate": 2 };

/** The strictest of several violation actions (terminate > log > block), undefined for none. */
export function strictestAction(actions: readonly BlockingAction[]): BlockingAction | undefined {
  let best: BlockingAction | undefined;
  for (const a of actions) if (best === undefined || RANK[a] > RANK[best]) best = a;
  return best;
}
