/**
 * The per-connection secret plan (semantics §6.2-§6.4): core's pure classification (host
 * patterns, DNS pin, per-secret and global violation actions) turned into what the request filter
 * needs - the secrets substituted here (TLS identity satisfied) and the placeholders whose
 * appearance is a violation, with their actions.
 */
import { classifySecrets as coreClassify, type SecretEntry, type SecretsConfig } from "@sandbox/core";

/** A blocking action. */
export type BlockAction = "block" | "block-and-log" | "block-and-terminate";

/** Strictness order: terminate > log > block. */
export const ACTION_RANK: Record<BlockAction, number> = { block: 0, "block-and-log": 1, "block-and-terminate": 2 };

/** The default placeholder of a secret: `$MSB_<env_var>`. */
export function placeholderOf(s: Pick<SecretEntry, "env_var" | "placeholder">): string {
  return s.placeholder ?? `$MSB_${s.env_var}`;
}

/** How a connection identified its host. */
export interface HostContext {
  /** The SNI (intercepted TLS) or the Host header name (plain HTTP); null when unknown. */
  readonly host: string | null;
  /** True on TLS-intercepted connections. */
  readonly tlsIntercepted: boolean;
  /**
   * The DNS pin: true when the destination IP is bound in the resolved-name cache to a name the
   * predicate accepts. Absent = no pin required (HTTP CONNECT, or the handler tested in isolation).
   */
  readonly pinned?: (pred: (name: string) => boolean) => boolean;
  /** True when the destination is a gateway IP (the host alias needs no pin there). */
  readonly destinationIsGateway?: boolean;
}

/** One secret's role on a connection. */
export type SecretRole =
  | { readonly kind: "eligible"; readonly substitute: boolean }
  | { readonly kind: "passthrough" }
  | { readonly kind: "violation"; readonly action: BlockAction };

/** A classified secret. */
export interface ClassifiedSecret {
  readonly entry: SecretEntry;
  /** The placeholder as it appears on the wire: its UTF-8 bytes as a latin1 string. */
  readonly placeholder: string;
  readonly role: SecretRole;
}

/** The per-connection plan. */
export interface SecretPlan {
  readonly secrets: readonly ClassifiedSecret[];
  /** Eligible secrets that are substituted here (TLS identity satisfied). */
  readonly substitutions: readonly ClassifiedSecret[];
  /** Placeholders whose appearance is a violation (never one shared by an eligible secret). */
  readonly violations: readonly { readonly placeholder: string; readonly action: BlockAction; readonly envVar: string }[];
}

/** Classify every secret for one connection (or one plain-HTTP request's host). */
export function classifySecrets(cfg: Pick<SecretsConfig, "secrets" | "on_violation">, ctx: HostContext): SecretPlan {
  const like = cfg.secrets.map((e) => ({ env_var: e.env_var, placeholder: placeholderOf(e), allowed_hosts: e.allowed_hosts, on_violation: e.on_violation }));
  const classes = coreClassify(
    like,
    {
      // No usable host: only `any` patterns can allow; nothing matches the empty name.
      host: ctx.host ?? "",
      pinned: ctx.pinned ?? (() => true),
      destinationIsGateway: ctx.destinationIsGateway ?? false,
      requirePin: ctx.pinned !== undefined,
    },
    cfg.on_violation ?? "block-and-log",
  );
  const secrets: ClassifiedSecret[] = cfg.secrets.map((entry, i) => {
    const c = classes[i]!;
    const role: SecretRole =
      c.kind === "eligible" ? { kind: "eligible", substitute: ctx.tlsIntercepted || entry.require_tls_identity === false } : c.kind === "passthrough" ? { kind: "passthrough" } : { kind: "violation", action: c.action };
    // Matching runs on latin1 views of the wire bytes: compare against the placeholder's UTF-8 bytes.
    return { entry, placeholder: Buffer.from(like[i]!.placeholder, "utf8").toString("latin1"), role };
  });
  const substitutions = secrets.filter((s) => s.role.kind === "eligible" && s.role.substitute);
  const violations = secrets.flatMap((s) => (s.role.kind === "violation" ? [{ placeholder: s.placeholder, action: s.role.action, envVar: s.entry.env_var }] : []));
  return { secrets, substitutions, violations };
}
