/**
 * `startNetproxy`: the programmatic entry behind `sandbox netproxy --config FILE --listen SPEC`.
 * Canonicalizes the network config, opens the transport, runs the stack with the compiled policy
 * and the DNS forwarder on the guest's link, and serves the control channel. A drop-in where
 * gvproxy or passt would be used, with the policy enforced.
 */
import { readFileSync } from "node:fs";
import { canonicalizeNetworkConfigOrThrow, compilePolicy, ResolvedNameCache, type CanonicalNetworkConfig, type CompiledPolicy } from "@sandbox/core";
import type { ControlServer } from "./control/server.js";
import { createDnsHandler, type DnsEvent } from "./dns/forwarder.js";
import { resolveUpstreams } from "./dns/nameservers.js";
import type { L7Services } from "./tls/services.js";
import type { Event, PortKey, PublishedPort as WirePort, Reloaded, Stats } from "./gen/control.js";
import { planAddresses, type AddressPlan, type AddressPlanInput } from "./stack/addr.js";
import { formatIpBytes } from "./stack/ip.js";
import { createNetworkStack } from "./stack/index.js";
import type { NetworkStack, PublishedPort, StackEvent, StackStats } from "./stack/types.js";
import { parseListen, type ListenSpec } from "./transport/listen-spec.js";
import { openListen, type OpenedListen } from "./transport/open.js";
import type { ObservableLink } from "./transport/stream-link.js";

/** Options of {@link startNetproxy}. */
export interface StartNetproxyOptions {
  /** The network config: a parsed JSON value (any accepted spelling; canonicalized here). */
  config: unknown;
  /** Where the guest's frames arrive: a `--listen` string or a parsed spec. */
  listen: string | ListenSpec;
  /** Unix socket path for the control channel; none when absent. */
  controlSocket?: string;
  /** Sandbox slot for the address plan (0..65535). Default 0. */
  slot?: number;
  /** netns mode: the TAP's name inside the namespace. Default `tap0`. */
  tapName?: string;
  /** Receives every control event (also when no control client is connected). */
  onEvent?: (e: Event) => void;
  /** Interval of the periodic `counters` event while control clients are connected. Default 10 s. */
  countersIntervalMs?: number;
  /** Where a generated TLS interception CA is kept when the config names none. Default `~/.sandbox/tls`. */
  caDir?: string;
}

/** A running netproxy. */
export interface Netproxy {
  /** The transport, e.g. `stream:unix:/run/np.sock` (TCP with the bound port). */
  readonly address: string;
  /** The canonical config in force (policy fields change on reload). */
  readonly config: CanonicalNetworkConfig;
  /** The resolved address plan (guest/gateway addresses, MACs, MTU). */
  readonly addresses: AddressPlan;
  /** Resolves once the guest side is attached and the stack runs. */
  readonly attached: Promise<void>;
  /** Resolves when the proxy has stopped (guest gone, `shutdown` command or `close()`), with the cause. */
  readonly closed: Promise<Error | undefined>;
  /** The control server, when `controlSocket` was given. */
  readonly control: ControlServer | null;
  /**
   * PEM the guest must trust (the interception CA when TLS interception is on, plus the host roots
   * with `trust_host_cas`); empty when neither applies. Known once `attached` resolved.
   */
  guestTrustPem(): string;
  /** Counters (as the control channel reports them). */
  stats(): Stats;
  /** Stop everything: flows, listeners, link, control socket. */
  close(): Promise<void>;
}

/** Read and JSON-parse a config file, naming the file in errors. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read config ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`config ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

function hasRoute(family: 4 | 6): boolean {
  // "A family is active only if the user gave an explicit address or the host has a route for it" (§0).
  try {
    if (family === 4) {
      return readFileSync("/proc/net/route", "utf8").split("\n").slice(1).some((l) => l.trim() && !l.startsWith("lo\t"));
    }
    return readFileSync("/proc/net/ipv6_route", "utf8")
      .split("\n")
      .some((l) => {
        const f = l.trim().split(/\s+/);
        return f.length >= 10 && f[9] !== "lo" && !f[0]!.startsWith("fe80") && !f[0]!.startsWith("ff");
      });
  } catch {
    return false;
  }
}

function planInput(cfg: CanonicalNetworkConfig, slot: number): AddressPlanInput {
  const iface = cfg.interface ?? {};
  const input: AddressPlanInput = { slot, mtu: iface.mtu ?? 1500 };
  if (iface.mac) input.guestMac = iface.mac;
  if (iface.ipv4_address) {
    const [ip, len] = iface.ipv4_address.split("/");
    input.guestIpv4 = ip!;
    if (len) input.ipv4PrefixLen = Number(len);
  } else if (hasRoute(4)) input.ipv4Pool = cfg.ipv4_pool;
  else input.ipv4Pool = false;
  if (iface.ipv6_address) input.guestIpv6 = iface.ipv6_address.split("/")[0]!;
  else if (hasRoute(6)) input.ipv6Pool = cfg.ipv6_pool;
  else input.ipv6Pool = false;
  return input;
}

function toStackPort(p: WirePort): PublishedPort {
  return { hostPort: p.host_port, guestPort: p.guest_port, protocol: p.protocol, hostBind: p.host_bind };
}

function snake(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase();
}

function flattenCounters(s: StackStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(s)) {
    if (typeof v === "number") out[snake(k)] = v;
    else if (v && typeof v === "object") for (const [r, n] of Object.entries(v as Record<string, number>)) out[`${snake(k)}_${snake(r)}` || "dropped"] = n;
  }
  return out;
}

function stackEventToControl(ev: StackEvent): Event | null {
  switch (ev.type) {
    case "flow":
      return {
        flow: {
          verdict: ev.verdict,
          direction: ev.direction,
          protocol: ev.protocol,
          src_ip: ev.src,
          src_port: ev.srcPort ?? undefined,
          dst_ip: ev.dst,
          dst_port: ev.dstPort ?? undefined,
          rule: ev.rule ?? undefined,
          reason: ev.reason,
          hostname: ev.sni,
        },
      };
    case "flow-end":
      return {
        flow_closed: {
          protocol: ev.protocol,
          src_ip: ev.src,
          src_port: ev.srcPort,
          dst_ip: ev.dst,
          dst_port: ev.dstPort,
          bytes_from_guest: ev.bytesIn,
          bytes_to_guest: ev.bytesOut,
          reason: ev.reason,
        },
      };
    case "limit":
      return { violation: { kind: ev.what, detail: `${ev.what} limit of ${ev.limit} reached` } };
    default:
      return null; // dhcp, drop and warning are counted in stats, not streamed
  }
}

function dnsEventToControl(ev: DnsEvent): Event {
  return {
    dns: {
      outcome: ev.outcome,
      transport: ev.transport,
      name: ev.name ?? undefined,
      qtype: ev.qtype ?? undefined,
      resolver: ev.resolver,
      rule: ev.rule ?? undefined,
      reason: ev.reason,
    },
  };
}

/**
 * Start a netproxy. Resolves once the transport and the control socket listen; `attached`
 * resolves when the guest side is connected and the stack runs.
 */
export async function startNetproxy(opts: StartNetproxyOptions): Promise<Netproxy> {
  let config = canonicalizeNetworkConfigOrThrow(opts.config);
  if (config.enabled === false) {
    throw new Error("the network config disables networking (enabled: false or preset `none`); the VMM must attach no network interface instead of starting netproxy");
  }
  const spec = typeof opts.listen === "string" ? parseListen(opts.listen) : opts.listen;
  const input = planInput(config, opts.slot ?? 0);
  const plan = planAddresses(input);
  const gateway = {
    ...(plan.v4 ? { ipv4: formatIpBytes(plan.v4.gateway) } : {}),
    ...(plan.v6 ? { ipv6: formatIpBytes(plan.v6.gateway) } : {}),
  };
  const cache = new ResolvedNameCache();
  const compile = (c: CanonicalNetworkConfig): CompiledPolicy => compilePolicy(c.policy, { gateway, cache });
  let policy = compile(config);
  const started = Date.now();

  let control: ControlServer | null = null;
  let stack: NetworkStack | null = null;
  let link: ObservableLink | null = null;
  const ports = new Map<string, WirePort>();
  const portKey = (p: { host_bind: string; host_port: number; protocol: string }) => `${p.protocol}/${p.host_bind}:${p.host_port}`;
  let flowEndsDuringReload: number | null = null;
  let trustPem = "";

  const emit = (e: Event) => {
    opts.onEvent?.(e);
    control?.emit(e);
  };

  const mac = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");
  const opened: OpenedListen = await openListen(spec, {
    maxFrameSize: spec.kind === "netns" ? plan.mtu + 14 : undefined,
    tap: {
      ifname: opts.tapName ?? "tap0",
      mac: mac(plan.guestMac),
      mtu: plan.mtu,
      ...(plan.v4 ? { address: formatIpBytes(plan.v4.guest), prefixLength: plan.v4.prefixLen, gateway: formatIpBytes(plan.v4.gateway) } : {}),
      ...(plan.v6 ? { address6: formatIpBytes(plan.v6.guest), prefixLength6: plan.v6.prefixLen, gateway6: formatIpBytes(plan.v6.gateway) } : {}),
      disableIpv6: !plan.v6,
    },
  });

  let resolveClosed!: (e: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((r) => (resolveClosed = r));
  let closing: Promise<void> | null = null;
  let counterTimer: NodeJS.Timeout | null = null;

  const stats = (): Stats => ({
    uptime_ms: Date.now() - started,
    transport: opened.address,
    link: link
      ? {
          rx_frames: link.stats.rxFrames,
          rx_bytes: link.stats.rxBytes,
          tx_frames: link.stats.txFrames,
          tx_bytes: link.stats.txBytes,
          rx_oversize: link.stats.rxOversize,
          tx_dropped: link.stats.txDropped,
        }
      : { rx_frames: 0, rx_bytes: 0, tx_frames: 0, tx_bytes: 0, rx_oversize: 0, tx_dropped: 0 },
    counters: {
      ...(stack ? flattenCounters(stack.stats()) : {}),
      ...(link ? { link_rx_handler_errors: link.stats.rxHandlerErrors, link_rx_runts: link.stats.rxRunts } : {}),
    },
    published_ports: [...ports.values()],
  });

  const close = (cause?: Error): Promise<void> => {
    closing ??= (async () => {
      if (counterTimer) clearInterval(counterTimer);
      await opened.close().catch(() => {});
      if (stack) await stack.close().catch(() => {});
      link?.close();
      if (link) emit({ link: { state: "down", transport: opened.address, ...(cause ? { error: cause.message } : {}) } });
      if (control) await control.close();
      resolveClosed(cause);
    })();
    return closing;
  };

  if (opts.controlSocket) {
    try {
      // Loaded only when asked for (its codec and message schemas are ~1.2 MB of heap), as the TLS services are.
      const { ControlServer } = await import("./control/server.js");
      control = await ControlServer.listen(opts.controlSocket, {
        async reloadPolicy(json: string): Promise<Reloaded> {
          let value: unknown;
          try {
            value = JSON.parse(json);
          } catch (e) {
            throw new Error(`reload_policy.config_json is not valid JSON: ${(e as Error).message}`);
          }
          const next = canonicalizeNetworkConfigOrThrow(value);
          const nextPolicy = compile(next);
          const before = stack ? stack.stats() : null;
          flowEndsDuringReload = 0;
          // closed = flows the stack denies (and resets) synchronously while re-checking them against the new policy
          try {
            stack?.reloadPolicy(nextPolicy);
          } finally {
            flowEndsDuringReload ??= 0;
          }
          const closedFlows = flowEndsDuringReload;
          flowEndsDuringReload = null;
          policy = nextPolicy;
          config = { ...config, policy: next.policy };
          const active = before ? before.tcpActive + before.udpSessions : 0;
          return { kept_flows: Math.max(0, active - closedFlows), closed_flows: closedFlows };
        },
        async addPublishedPort(p: WirePort): Promise<WirePort> {
          if (!stack) throw new Error("the guest is not attached yet; published ports can be added once it is");
          if (p.host_port === 0) throw new Error("add_published_port.host_port: 0 is not accepted; give the host port to listen on (1..65535)");
          if (ports.has(portKey(p))) throw new Error(`published ${p.protocol} port ${p.host_bind}:${p.host_port} already exists`);
          await stack.publish(toStackPort(p));
          ports.set(portKey(p), p);
          return p;
        },
        async removePublishedPort(k: PortKey): Promise<void> {
          const key = portKey(k);
          if (!ports.has(key) || !stack) throw new Error(`no published ${k.protocol} port ${k.host_bind}:${k.host_port}`);
          await stack.unpublish({ hostPort: k.host_port, protocol: k.protocol, hostBind: k.host_bind });
          ports.delete(key);
        },
        stats,
        shutdown: () => close(),
      });
    } catch (e) {
      // Do not leave the transport (listener, helper process) behind.
      await opened.close().catch(() => {});
      opened.link.then((l) => l.close()).catch(() => {});
      throw e;
    }
  }

  const attached = (async () => {
    link = await opened.link;
    emit({ link: { state: "up", transport: opened.address } });
    const upstreams = await resolveUpstreams(config.dns.nameservers);
    const dns = createDnsHandler({
      policy: () => policy,
      cache,
      gateway,
      upstreams,
      rebindProtection: config.dns.rebind_protection,
      queryTimeoutMs: config.dns.query_timeout_ms,
      hostAliases: config.host_aliases,
      events: (e) => emit(dnsEventToControl(e)),
    });
    // The L7 machinery (x509, TLS, HTTP parsers) is loaded only when the config needs it.
    let l7: L7Services = { blockUdpPorts: [], guestTrustPem: "" };
    if (config.tls.enabled || config.secrets.secrets.length > 0 || config.trust_host_cas) {
      const { createL7Services, l7EventToViolation } = await import("./tls/services.js");
      l7 = await createL7Services({
        tls: config.tls,
        secrets: config.secrets,
        trustHostCas: config.trust_host_cas,
        gateway,
        hostAliases: config.host_aliases,
        cache,
        dns,
        ...(opts.caDir ? { caDir: opts.caDir } : {}),
        events: (e) => {
          const v = l7EventToViolation(e);
          if (v) emit(v);
        },
        // A secret violation with `block-and-terminate` ends the sandbox's network.
        onTerminate: (why) => void close(new Error(`terminated by a secret violation: ${why}`)),
      });
    }
    trustPem = l7.guestTrustPem;
    for (const p of config.ports) ports.set(portKey(p), p);
    stack = await createNetworkStack({
      link,
      addresses: input,
      policy,
      dns,
      ...(l7.interceptor ? { interceptor: l7.interceptor } : {}),
      ...(l7.dot ? { dot: l7.dot } : {}),
      blockUdpPorts: l7.blockUdpPorts,
      maxConnections: config.max_connections,
      ports: [...ports.values()].map(toStackPort),
      events: (ev) => {
        if (flowEndsDuringReload !== null) {
          // TCP re-checks report a deny decision; UDP re-checks end the session.
          if (ev.type === "flow" && ev.verdict === "deny") flowEndsDuringReload++;
          else if (ev.type === "flow-end" && ev.protocol === "udp" && /reload/.test(ev.reason)) flowEndsDuringReload++;
        }
        const e = stackEventToControl(ev);
        if (e) emit(e);
      },
    });
    link.onClose((err) => void close(err));
    if (control) {
      counterTimer = setInterval(() => {
        if (control && control.clientCount > 0) emit({ counters: stats() });
      }, opts.countersIntervalMs ?? 10_000);
      counterTimer.unref();
    }
  })();
  attached.catch((e: Error) => void close(e));

  return {
    address: opened.address,
    get config() {
      return config;
    },
    addresses: plan,
    attached,
    closed,
    control,
    guestTrustPem: () => trustPem,
    stats,
    close: () => close(),
  };
}
