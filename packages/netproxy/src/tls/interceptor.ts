/**
 * The L7 flow interceptor (semantics §5, §6.4) behind the stack's `FlowInterceptor` hook:
 * intercepted TLS ports require an SNI and honour the stack's SNI-based egress decision; bypassed
 * names are spliced raw; everything else is terminated with a per-SNI leaf, re-originated with
 * upstream verification (sessions resumed), ALPN narrowed to what the upstream chose, and its
 * plaintext requests pass the HTTP/1 or HTTP/2 filter (Host/:authority = SNI, secrets).
 * Non-intercepted plain-HTTP flows get the HTTP/1 filter too when secrets are configured.
 */
import { connect as netConnect } from "node:net";
import { connect as tlsConnect, TLSSocket } from "node:tls";
import type { Duplex } from "node:stream";
import { formatIp, unmapIp, parseIp, type IpAddr, type SecretsConfig, type TlsConfig } from "@sandbox/core";
import type { FlowInfo, FlowInterceptor, InterceptedFlow } from "../stack/types.js";
import { RequestFilter, type FilterBlock, type FilterOutput } from "../http/request-filter.js";
import { H2Filter } from "../http/h2-filter.js";
import { classifySecrets, type SecretPlan } from "../secrets/classify.js";
import { canonicalSni, parseClientHello } from "./client-hello.js";
import { duplexPair } from "./duplex-pair.js";
import type { LeafCache } from "./leaf-cache.js";
import { BypassList } from "./patterns.js";
import type { UpstreamTrust } from "./roots.js";
import { noteRelayed } from "./relay-gc.js";
import { UpstreamSessions } from "./upstream-sessions.js";

/** Events of the L7 layer. */
export type L7Event =
  | {
      readonly type: "tls";
      readonly action: "intercept" | "bypass" | "deny" | "no_sni" | "upstream_error" | "guest_error" | "passthrough";
      readonly sni: string | null;
      /** The guest's address and source port. */
      readonly src: string;
      readonly srcPort: number;
      readonly dst: string;
      readonly dstPort: number;
      readonly reason: string;
    }
  | {
      readonly type: "secret_violation";
      readonly action: "block" | "block-and-log" | "block-and-terminate";
      readonly envVar: string;
      readonly placeholder: string;
      readonly location: string;
      readonly form: string;
      readonly method?: string;
      readonly path?: string;
      readonly host?: string | null;
      readonly dst: string;
      readonly dstPort: number;
    }
  | { readonly type: "http_block"; readonly reason: string; readonly sni: string | null; readonly dst: string; readonly dstPort: number };

/** Options of {@link L7Interceptor}. */
export interface L7Options {
  /** The `tls` section (core's parsed `TlsConfig`). */
  readonly tls: Pick<TlsConfig, "enabled" | "intercepted_ports" | "bypass" | "block_quic_on_intercept">;
  /** Leaf certificates (required when TLS interception is enabled). */
  readonly leaves?: LeafCache;
  /** Upstream roots and verification (required when TLS interception is enabled). */
  readonly trust?: UpstreamTrust;
  /** The `secrets` section. */
  readonly secrets: Pick<SecretsConfig, "secrets" | "on_violation">;
  /** The resolved-name cache (DNS pin of secrets). */
  readonly cache: { anyHostFor(ip: IpAddr, pred: (host: string) => boolean): boolean };
  /** Gateway addresses (the host alias is allowed there without a pin). */
  readonly gateway: { readonly ipv4?: string; readonly ipv6?: string };
  /** Configured host aliases (D6): like `host.microsandbox.internal`, they need no DNS pin on a gateway address. */
  readonly hostAliases?: readonly string[];
  /** Opens the host-side TCP connection (default node:net). */
  readonly connect?: (host: string, port: number) => Duplex;
  /** Event sink. */
  readonly events?: (e: L7Event) => void;
  /** Called on a block-and-terminate violation: the sandbox must be terminated. */
  readonly onTerminate?: (reason: string) => void;
  /** Guest TLS handshake deadline (default 10 s). */
  readonly handshakeTimeoutMs?: number;
}

/** Bytes queued towards one side before the other side is paused (bigger batches than `pipe`). */
export const RELAY_HIGH_WATER = 1024 * 1024;

/**
 * Cork `to` until the end of the current tick: the chunks one read produces (a TLS socket emits
 * one per 16 KiB record) then reach `to` as one writev - for a TLS socket one encrypted flush and
 * one crossing into its transport instead of one per record.
 */
function corkForTick(to: Duplex): void {
  if (to.writableCorked > 0) return;
  to.cork();
  process.nextTick(() => to.uncork());
}

/** Forward `from` -> `to` raw, pausing `from` only above {@link RELAY_HIGH_WATER} queued bytes. */
function relay(from: Duplex, to: Duplex): void {
  from.on("data", (d: Buffer) => {
    noteRelayed(d.length);
    corkForTick(to);
    to.write(d);
    if (to.writableLength > RELAY_HIGH_WATER && !from.isPaused()) {
      from.pause();
      to.once("drain", () => from.resume());
    }
  });
  from.on("end", () => to.end());
}

/** UDP ports whose datagrams the stack must drop (QUIC blocking, §5 step 8). */
export function quicBlockedUdpPorts(tls: Pick<TlsConfig, "enabled" | "intercepted_ports" | "block_quic_on_intercept">): number[] {
  return tls.enabled && tls.block_quic_on_intercept ? [...tls.intercepted_ports] : [];
}

/** True when a guest UDP datagram to `port` is dropped as QUIC on an intercepted port. */
export function isQuicBlocked(tls: Pick<TlsConfig, "enabled" | "intercepted_ports" | "block_quic_on_intercept">, port: number): boolean {
  return tls.enabled && tls.block_quic_on_intercept && tls.intercepted_ports.includes(port);
}

/** The addresses an L7 event reports. */
function endpoints(flow: InterceptedFlow): { src: string; srcPort: number; dst: string; dstPort: number } {
  return { src: formatIp(flow.guestIp), srcPort: flow.guestPort, dst: formatIp(flow.dstIp), dstPort: flow.dstPort };
}

function sameIp(a: IpAddr, b: IpAddr | undefined): boolean {
  return b !== undefined && formatIp(unmapIp(a)) === formatIp(unmapIp(b));
}

/** The TLS/HTTP interceptor. */
export class L7Interceptor implements FlowInterceptor {
  private readonly bypass: BypassList;
  private readonly ports: ReadonlySet<number>;
  private readonly gw: (IpAddr | undefined)[];
  private readonly emit: (e: L7Event) => void;
  private readonly aliases: ReadonlySet<string>;
  private secrets: L7Options["secrets"];
  /** Upstream TLS sessions for resumption. */
  private readonly sessions = new UpstreamSessions();

  constructor(private readonly opts: L7Options) {
    this.bypass = new BypassList(opts.tls.bypass);
    this.ports = new Set(opts.tls.enabled ? opts.tls.intercepted_ports : []);
    this.gw = [opts.gateway.ipv4, opts.gateway.ipv6].map((s) => (s === undefined ? undefined : parseIp(s)));
    this.emit = opts.events ?? (() => {});
    this.secrets = opts.secrets;
    this.aliases = new Set((opts.hostAliases ?? []).map((a) => a.toLowerCase().replace(/\.+$/, "")));
    if (opts.tls.enabled && (!opts.leaves || !opts.trust)) throw new Error("L7Interceptor: tls.enabled requires `leaves` and `trust`");
  }

  /** Replace the secrets (rotation, allowed hosts, removal); connections already open keep theirs. */
  updateSecrets(secrets: L7Options["secrets"]): void {
    this.secrets = secrets;
  }

  /** Intercepted TLS ports, and every other TCP port except DNS when secrets are configured. */
  intercepts(flow: FlowInfo): boolean {
    if (this.ports.has(flow.dstPort)) return true;
    return this.secrets.secrets.length > 0 && flow.dstPort !== 53 && flow.dstPort !== 853;
  }

  /** Only TLS on the intercepted ports needs the ClientHello first; plain TCP (secrets) streams at once. */
  needsFirstBytes(flow: FlowInfo): boolean {
    return this.ports.has(flow.dstPort);
  }

  /** The stack's hook: returns the duplex standing for the flow's upstream, or null to FIN. */
  async intercept(flow: InterceptedFlow): Promise<Duplex | null> {
    if (flow.decision.verdict !== "allow") {
      this.emit({ type: "tls", action: "deny", sni: flow.sni, ...endpoints(flow), reason: flow.decision.reason });
      return null;
    }
    const [stackEnd, mine] = duplexPair();
    if (!this.handle(mine, flow)) {
      stackEnd.destroy();
      return null;
    }
    return stackEnd;
  }

  /**
   * Handle one flow whose guest bytes (starting with `flow.firstBytes`) arrive on `guest`.
   * Returns false when the flow is refused outright (no SNI on an intercepted port).
   */
  handle(guest: Duplex, flow: InterceptedFlow): boolean {
    const base = endpoints(flow);
    if (this.ports.has(flow.dstPort)) {
      const hello = parseClientHello(flow.firstBytes);
      const sni = canonicalSni(hello.kind === "hello" ? hello.sni : (flow.sni ?? undefined));
      if (!sni) {
        this.emit({ type: "tls", action: "no_sni", sni: null, ...base, reason: "intercepted ports require a TLS ClientHello with an SNI host name" });
        return false;
      }
      if (this.bypass.matches(sni)) {
        this.emit({ type: "tls", action: "bypass", sni, ...base, reason: "SNI matches a bypass pattern: raw splice" });
        this.splice(guest, flow);
        return true;
      }
      this.emit({ type: "tls", action: "intercept", sni, ...base, reason: "terminated with a leaf for the SNI" });
      void this.mitm(guest, flow, sni, hello.kind === "hello" ? hello.alpn : [], this.secrets);
      return true;
    }
    // Non-intercepted port with secrets configured: TLS passes untouched, plain HTTP is filtered.
    const first = flow.firstBytes[0];
    if (first === 0x16 || flow.sni !== null) {
      this.splice(guest, flow);
      return true;
    }
    const upstream = this.connect(flow);
    this.filterInto(guest, upstream, guest, flow, null, new RequestFilter({ mode: { kind: "plain" }, planFor: this.planFor(flow, false, this.secrets) }));
    return true;
  }

  private connect(flow: InterceptedFlow): Duplex {
    return (this.opts.connect ?? ((h, p) => netConnect({ host: h, port: p, noDelay: true })))(flow.upstreamHost, flow.dstPort);
  }

  private splice(guest: Duplex, flow: InterceptedFlow): void {
    const up = this.connect(flow);
    relay(guest, up);
    relay(up, guest);
    const kill = () => {
      guest.destroy();
      up.destroy();
    };
    guest.on("error", kill);
    up.on("error", kill);
    guest.on("close", () => up.destroy());
    up.on("close", () => guest.destroy());
  }

  private planFor(flow: InterceptedFlow, tlsIntercepted: boolean, secrets: L7Options["secrets"]): (host: string | null) => SecretPlan {
    const memo = new Map<string | null, SecretPlan>();
    const destinationIsGateway = this.gw.some((g) => sameIp(flow.dstIp, g));
    return (host) => {
      let p = memo.get(host);
      if (!p) {
        const alias = destinationIsGateway && host !== null && this.aliases.has(host);
        p = classifySecrets(secrets, {
          host,
          tlsIntercepted,
          destinationIsGateway,
          pinned: alias ? () => true : (pred) => this.opts.cache.anyHostFor(flow.dstIp, pred),
        });
        memo.set(host, p);
      }
      return p;
    };
  }

  /** Terminate the guest's TLS (`alpn`: the protocols its ClientHello offers) and re-originate it upstream. */
  private async mitm(guestRaw: Duplex, flow: InterceptedFlow, sni: string, alpn: readonly string[], secrets: L7Options["secrets"]): Promise<void> {
    const base = { sni, ...endpoints(flow) };
    const offered = alpn.filter((p) => p === "h2" || p === "http/1.1");
    const timer = setTimeout(() => {
      this.emit({ type: "tls", action: "guest_error", ...base, reason: "TLS handshake timed out" });
      guestRaw.destroy();
    }, this.opts.handshakeTimeoutMs ?? 10_000);
    const choice = this.opts.trust!.choose(sni);
    const sessionKey = this.sessions.key({ sni, host: flow.upstreamHost, port: flow.dstPort, alpn: offered, secureContext: choice.secureContext, rejectUnauthorized: choice.rejectUnauthorized });
    const session = this.sessions.get(sessionKey);
    const up = tlsConnect({
      socket: this.connect(flow) as never,
      servername: sni,
      secureContext: choice.secureContext,
      rejectUnauthorized: choice.rejectUnauthorized,
      ...(offered.length > 0 ? { ALPNProtocols: offered } : {}),
      ...(session ? { session } : {}),
    });
    up.on("session", (s: Buffer) => this.sessions.store(sessionKey, s));
    let failed = false;
    let guest: TLSSocket | undefined;
    const fail = (who: "upstream_error" | "guest_error", e: Error) => {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      this.emit({ type: "tls", action: who, ...base, reason: e.message });
      guest?.destroy();
      up.destroy();
      guestRaw.destroy();
    };
    up.on("error", (e) => fail("upstream_error", e));
    guestRaw.on("close", () => {
      if (!guest) up.destroy();
    });
    // With h2 on offer the upstream's ALPN choice decides what the guest is offered, so the
    // upstream handshake comes first; otherwise both handshakes run at once.
    if (offered.includes("h2")) {
      const upOk = await new Promise<boolean>((resolve) => {
        up.once("secureConnect", () => resolve(true));
        up.once("close", () => resolve(false));
      });
      if (!upOk || failed || guestRaw.destroyed) {
        clearTimeout(timer);
        guestRaw.destroy();
        up.destroy();
        return;
      }
    }
    let leafCtx;
    try {
      leafCtx = (this.opts.leaves!.peek(sni) ?? (await this.opts.leaves!.get(sni))).context;
    } catch (e) {
      return fail("guest_error", new Error(`leaf certificate for ${sni}: ${(e as Error).message}`));
    }
    if (failed || guestRaw.destroyed) return;
    const proto = offered.includes("h2") ? up.alpnProtocol || (offered.includes("http/1.1") ? "http/1.1" : false) : offered.includes("http/1.1") ? "http/1.1" : false;
    const g = new TLSSocket(guestRaw as never, { isServer: true, secureContext: leafCtx, ...(proto ? { ALPNProtocols: [proto] } : {}) });
    guest = g;
    g.once("secure", () => clearTimeout(timer));
    g.on("error", (e) => fail("guest_error", e));
    g.on("close", () => up.destroy());
    up.on("close", () => {
      if (!g.destroyed) g.end();
    });
    const planFor = this.planFor(flow, true, secrets);
    const filter = proto === "h2" ? new H2Filter({ sni, planFor }) : new RequestFilter({ mode: { kind: "intercepted", sni }, planFor });
    this.filterInto(g, up, guestRaw, flow, sni, filter);
  }

  /** Pipe guest->upstream through the request filter and upstream->guest raw. */
  private filterInto(guest: Duplex, up: Duplex, guestRaw: Duplex, flow: InterceptedFlow, sni: string | null, filter: { push(chunk: Buffer): FilterOutput }): void {
    const dst = formatIp(flow.dstIp);
    const drop = (b: FilterBlock) => {
      if (b.violation) {
        this.emit({ type: "secret_violation", action: b.action, envVar: b.violation.envVar, placeholder: b.violation.placeholder, location: b.violation.location, form: b.violation.form, ...(b.violation.method !== undefined ? { method: b.violation.method, path: b.violation.path ?? "", host: b.violation.host ?? null } : {}), dst, dstPort: flow.dstPort });
        if (b.action === "block-and-terminate") this.opts.onTerminate?.(b.reason);
      } else {
        this.emit({ type: "http_block", reason: b.reason, sni, dst, dstPort: flow.dstPort });
      }
      guest.destroy();
      up.destroy();
      guestRaw.destroy();
    };
    guest.on("data", (chunk: Buffer) => {
      noteRelayed(chunk.length);
      const r = filter.push(chunk);
      if (r.out.length > 0) corkForTick(up);
      for (const b of r.out) up.write(b);
      if (r.block) return drop(r.block);
      if (up.writableLength > RELAY_HIGH_WATER && !guest.isPaused()) {
        guest.pause();
        up.once("drain", () => guest.resume());
      }
    });
    guest.on("end", () => up.end());
    relay(up, guest);
    if (sni === null) {
      const kill = () => {
        guest.destroy();
        up.destroy();
      };
      guest.on("error", kill);
      up.on("error", kill);
      guest.on("close", () => up.destroy());
      up.on("close", () => guest.destroy());
    }
  }
}
