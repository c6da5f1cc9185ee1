/**
 * `sandbox explain`: decide one flow or DNS query against a config and say which rule decided
 * and why. Exit 0 when allowed, 3 when denied.
 */
import {
  compilePolicy,
  describeRule,
  dnsPipeline,
  formatIp,
  ipFromBytes,
  parseIp,
  ResolvedNameCache,
  type CanonicalNetworkConfig,
  type Decision,
  type DnsTransport,
  type HostnameSource,
  type IpAddr,
  type Protocol,
} from "@sandbox/core";
import type { planAddresses as PlanAddresses } from "@sandbox/netproxy";
import { CliError, type Command } from "../command.js";
import { loadConfigOrFail } from "../config.js";
import { Exit } from "../exit-codes.js";

const PROTOCOLS = ["tcp", "udp", "icmpv4", "icmpv6"] as const;
const TRANSPORTS = ["udp", "tcp", "dot"] as const;

function ip(text: string, what: string): IpAddr {
  const a = parseIp(text);
  if (!a) throw new CliError(`${what}: "${text}" is not an IP address`, Exit.usage);
  return a;
}

/** `HOST:PORT` or `[V6]:PORT` or a bare address (ICMP). */
function target(text: string): { ip: IpAddr; port: number | null } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) return { ip: ip(text, "--to"), port: null };
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && port > 65535) throw new CliError(`--to: port ${port} out of range 0..65535`, Exit.usage);
  return { ip: ip(m[1]!, "--to"), port };
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], flag: string, dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T)) throw new CliError(`${flag}: "${String(v)}" is not one of ${allowed.join(", ")}`, Exit.usage);
  return v as T;
}

/** The gateway addresses of slot `slot` (the `host` group), from the config's pools or interface. */
export async function gatewayOf(config: CanonicalNetworkConfig, slot: number): Promise<{ ipv4?: string; ipv6?: string }> {
  const planAddresses: typeof PlanAddresses = (await import("@sandbox/netproxy")).planAddresses;
  const plan = planAddresses({
    slot,
    ipv4Pool: config.ipv4_pool,
    ipv6Pool: config.ipv6_pool,
    guestIpv4: config.interface.ipv4_address?.split("/")[0],
    ipv4PrefixLen: config.interface.ipv4_address ? Number(config.interface.ipv4_address.split("/")[1] ?? 30) : undefined,
  });
  const fmt = (b: Uint8Array | undefined) => (b ? formatIp(ipFromBytes(b)) : undefined);
  return { ipv4: fmt(plan.v4?.gateway), ipv6: fmt(plan.v6?.gateway) };
}

/** `--resolved name=ip[,ip...]` entries into the name cache (as if the guest had resolved them). */
function fillCache(cache: ResolvedNameCache, entries: string[]): void {
  for (const e of entries) {
    const [name, ips] = e.split("=");
    if (!name || !ips) throw new CliError(`--resolved: "${e}" is not NAME=IP[,IP...]`, Exit.usage);
    const parsed = ips.split(",").map((s) => ip(s, "--resolved"));
    for (const fam of [4, 6] as const) {
      const of = parsed.filter((a) => a.family === fam);
      if (of.length) cache.record(name.toLowerCase().replace(/\.$/, ""), fam === 4 ? "ipv4" : "ipv6", of, 300);
    }
  }
}

/** The `explain` command. */
export const explainCommand: Command = {
  name: "explain",
  summary: "Decide one flow or DNS query against a config: decision, deciding rule, reason",
  usage: "sandbox explain <config.json> (--to IP[:PORT] | --from IP --guest-port N | --dns NAME) [options]",
  description: [
    "Evaluates the compiled policy exactly as the proxy does and prints the decision, the rule that made it and why.",
    "  --to IP[:PORT]          an egress flow (no port for ICMP); --protocol tcp|udp|icmpv4|icmpv6 (default tcp)",
    "  --sni NAME              the TLS SNI seen on the first bytes (else the resolved-name cache decides)",
    "  --resolved NAME=IP,...  names the guest resolved through the DNS interceptor (repeatable)",
    "  --from IP --guest-port N  an ingress connection to a published port",
    "  --dns NAME              a DNS query; --transport udp|tcp|dot, --resolver IP, --answer IP (repeatable, for rebind)",
    "  --slot N                the sandbox slot whose gateway is the `host` group (default 0)",
    "Exit status: 0 allowed, 3 denied.",
  ].join("\n"),
  examples: [
    "sandbox explain examples/public-only.json --to 93.184.216.34:443",
    "sandbox explain examples/public-only.json --to 10.0.0.5:5432",
    "sandbox explain examples/public-only.json --dns ads.tracking.example",
    "sandbox explain examples/public-only.json --from 127.0.0.1 --guest-port 80",
  ],
  options: {
    dialect: { type: "string", short: "d" },
    to: { type: "string" },
    protocol: { type: "string" },
    sni: { type: "string" },
    resolved: { type: "string", multiple: true },
    from: { type: "string" },
    "guest-port": { type: "string" },
    dns: { type: "string" },
    transport: { type: "string" },
    resolver: { type: "string" },
    answer: { type: "string", multiple: true },
    slot: { type: "string" },
  },
  async run({ positionals, values, out, json }) {
    const file = positionals[0];
    if (!file) throw new CliError("missing the config file", Exit.usage);
    const modes = [values.to, values.from, values.dns].filter((v) => v !== undefined).length;
    if (modes !== 1) throw new CliError("give exactly one of --to, --from or --dns", Exit.usage);
    const config = loadConfigOrFail(file, values.dialect);
    const gateway = await gatewayOf(config, Number(values.slot ?? 0));
    const cache = new ResolvedNameCache();
    fillCache(cache, (values.resolved as string[] | undefined) ?? []);
    const policy = compilePolicy(config.policy, { gateway, cache });
    const rules = config.policy.rules;

    let query: string;
    let verdict: "allow" | "deny" | "defer";
    let decision: Decision | undefined;
    let reason: string;
    if (values.dns !== undefined) {
      const transport = oneOf<DnsTransport>(values.transport, TRANSPORTS, "--transport", "udp");
      const r = dnsPipeline(policy, {
        name: String(values.dns),
        transport,
        resolverIp: values.resolver as string | undefined,
        answers: (values.answer as string[] | undefined) ?? [],
        rebindProtection: config.dns.rebind_protection,
        gateway,
      });
      query = `DNS ${transport} query for ${values.dns}`;
      verdict = r.rcode === "NOERROR" ? "allow" : "deny";
      decision = r.decision;
      reason = `${r.step === "passed" ? "answered" : `${r.rcode} at the ${r.step} step`}: ${r.reason}`;
    } else if (values.from !== undefined) {
      const guestPort = Number(values["guest-port"]);
      if (!Number.isInteger(guestPort) || guestPort < 0 || guestPort > 65535) throw new CliError("--guest-port: a port 0..65535 is required with --from", Exit.usage);
      const protocol = oneOf<Protocol>(values.protocol, PROTOCOLS, "--protocol", "tcp");
      decision = policy.ingress(ip(String(values.from), "--from"), guestPort, protocol);
      query = `ingress ${protocol} from ${values.from} to guest port ${guestPort}`;
      verdict = decision.verdict;
      reason = decision.reason;
    } else {
      const t = target(String(values.to));
      const protocol = oneOf<Protocol>(values.protocol, PROTOCOLS, "--protocol", t.port === null ? "icmpv4" : "tcp");
      const source: HostnameSource = values.sni !== undefined ? { kind: "sni", name: String(values.sni) } : { kind: "cache" };
      decision = policy.egress(t.ip, protocol.startsWith("icmp") ? null : t.port, protocol, source);
      query = `egress ${protocol} to ${String(values.to)}${values.sni ? ` (SNI ${values.sni})` : ""}`;
      verdict = decision.verdict;
      reason = decision.reason;
    }
    const rule = decision?.rule ?? null;
    const result = { query, decision: verdict, rule, rule_text: rule === null ? null : describeRule(rules[rule]!, rule), reason, gateway };
    if (json) out.json(result);
    else {
      const word = verdict === "allow" ? out.green("ALLOW") : verdict === "deny" ? out.red("DENY") : out.yellow("DEFER");
      out.line(`${word}  ${query}`);
      out.line(`  decided by: ${result.rule_text ?? "the default action"}`);
      out.line(`  reason:     ${reason}`);
    }
    return verdict === "deny" ? Exit.denied : Exit.ok;
  },
};
