/**
 * Decision objects with a lazily built reason (string building only happens when someone reads
 * `reason`), and the packed integer verdict codes of the allocation-free fast path.
 */
import { formatIp, type IpAddr } from "../net/ip.js";
import { describeRule } from "./explain.js";
import { GROUP_NAMES } from "./groups.js";
import type { Decision, RuleLike } from "./types.js";

/** Verdict code: allow. */
export const V_ALLOW = 0;
/** Verdict code: deny. */
export const V_DENY = 1;
/** Verdict code: defer until the hostname is known. */
export const V_DEFER = 2;

/** Packs a verdict and rule index (-1 = default) into one integer. */
export function packCode(verdict: number, rule: number): number {
  return verdict | ((rule + 1) << 2);
}
/** Verdict code (V_ALLOW / V_DENY / V_DEFER) of a packed code. */
export function codeVerdict(code: number): number {
  return code & 3;
}
/** Rule index of a packed code, -1 when the default decided. */
export function codeRule(code: number): number {
  return (code >>> 2) - 1;
}
/** Verdict name of a packed code. */
export function codeVerdictName(code: number): "allow" | "deny" | "defer" {
  const v = code & 3;
  return v === V_ALLOW ? "allow" : v === V_DENY ? "deny" : "defer";
}

/** How the deciding rule matched (for the reason text). */
export const How = {
  Ip: 0,
  Cache: 1,
  Sni: 2,
  DeferAllow: 3,
  DeferDeny: 4,
  DenyNoTail: 5,
  DnsName: 6,
  DnsTransport: 7,
} as const;
/** One of the {@link How} codes. */
export type How = (typeof How)[keyof typeof How];

/** Context captured at decision time for the reason text. */
export interface ReasonContext {
  readonly rules: readonly RuleLike[];
  readonly direction: "egress" | "ingress";
  readonly defaultAction: "allow" | "deny";
  readonly how: How;
  readonly ip: IpAddr | null;
  readonly group: number;
  readonly host: string | null;
  readonly subject: string | null;
}

/** A {@link Decision} whose reason is computed on first read. */
export class EvalDecision implements Decision {
  /** The verdict. */
  readonly verdict: "allow" | "deny" | "defer";
  /** Deciding rule index, null = default. */
  readonly rule: number | null;
  private readonly ctx: ReasonContext;
  private text: string | undefined;

  /** @internal */
  constructor(code: number, ctx: ReasonContext) {
    this.verdict = codeVerdictName(code);
    const r = codeRule(code);
    this.rule = r < 0 ? null : r;
    this.ctx = ctx;
  }

  /** Which rule or default decided, and why. */
  get reason(): string {
    this.text ??= buildReason(this.rule, this.ctx);
    return this.text;
  }

  /** Plain-object form (verdict, rule, reason). */
  toJSON(): Decision {
    return { verdict: this.verdict, rule: this.rule, reason: this.reason };
  }
}

function buildReason(rule: number | null, c: ReasonContext): string {
  const ipText = c.ip === null ? "" : formatIp(c.ip);
  if (rule === null) return `no rule matched; default_${c.direction} ${c.defaultAction}`;
  const r = c.rules[rule]!;
  const head = describeRule(r, rule);
  const d = r.destination;
  const who = c.direction === "ingress" ? `peer ${ipText}` : ipText;
  switch (c.how) {
    case How.Ip: {
      let detail = "any destination";
      if (d !== "any" && "group" in d) detail = `group ${GROUP_NAMES[c.group] ?? "none"}`;
      else if (d !== "any" && "cidr" in d) detail = `in ${d.cidr}`;
      return `${head} matched ${who} (${detail})`;
    }
    case How.Cache:
      return `${head} matched ${who} (resolved from ${c.host ?? "?"})`;
    case How.Sni:
      return c.host === null
        ? `${head} matched SNI ${c.subject ?? "?"} (deny rules need no DNS binding)`
        : `${head} matched SNI ${c.subject ?? "?"} (${ipText} resolved from ${c.host})`;
    case How.DeferAllow:
      return `${head} may match ${ipText} (resolved from ${c.host ?? "?"}); deferred until the hostname is known`;
    case How.DeferDeny:
      return `${head} may match ${ipText} once the hostname is known and a later rule or the default could allow; deferred`;
    case How.DenyNoTail:
      return `${head} may match ${ipText} once the hostname is known and nothing later could allow; denied`;
    case How.DnsName:
      return `${head} matched query name ${c.subject ?? "?"}`;
    case How.DnsTransport:
      return `${head} matched the DNS query transport ${c.subject ?? "?"}`;
  }
}
