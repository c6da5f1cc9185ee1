/**
 * The L7 adversarial suite end to end in network namespaces: a guest namespace whose TAP is served
 * by the stack + DNS forwarder + TLS interceptor + DoT (running in a proxy namespace whose only
 * route leads to the test host), and a test host running real DNS, HTTPS (own CA) and UDP servers.
 * Real dig and curl in the guest; the host's log proves what did and did not reach it.
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { netnsUnavailableReason, Topology } from "../../src/netns/index.js";

const reason = netnsUnavailableReason();
if (reason && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error(`SANDBOX_REQUIRE_E2E=1 but netns tests cannot run: ${reason}`);

const HOST = "198.51.100.10";
const GATEWAY = "172.16.0.1";
const pkgDir = resolve(__dirname, "../..");
const fixtures = join(__dirname, "fixtures");

const CONFIG = (upstreamCa: string) => ({
  policy: {
    default_egress: "deny",
    default_ingress: "allow",
    rules: [
      { direction: "egress", destination: { domain: "evil.example.test" }, action: "deny" },
      { direction: "egress", destination: { domain: "xn--bcher-kva.example.test" }, action: "deny" },
      { direction: "egress", destination: { group: "host" }, protocols: ["udp", "tcp"], ports: [{ start: 53, end: 53 }], action: "allow" },
      { direction: "egress", destination: "any", protocols: ["tcp"], ports: [{ start: 853, end: 853 }], action: "allow" },
      { direction: "egress", destination: { domain_suffix: "example.test" }, protocols: ["tcp"], ports: [{ start: 443, end: 443 }], action: "allow" },
      { direction: "egress", destination: { domain: "unbound.other.test" }, protocols: ["tcp"], ports: [{ start: 443, end: 443 }], action: "allow" },
      { direction: "egress", destination: { cidr: `${HOST}/32` }, protocols: ["udp"], action: "allow" },
      { direction: "egress", destination: { cidr: `${HOST}/32` }, protocols: ["tcp"], ports: [{ start: 80, end: 80 }], action: "allow" },
    ],
  },
  tls: { enabled: true, intercepted_ports: [443], upstream_ca_cert: [upstreamCa] },
  secrets: {
    secrets: [{ env_var: "TOKEN", placeholder: "$SECRET_TOKEN", value: "real-token-value", allowed_hosts: [{ exact: "api.example.test" }] }],
    on_violation: "block-and-log",
  },
});

interface Rec {
  kind: string;
  name?: string;
  transport?: string;
  sni?: string | null;
  head?: string;
  port?: number;
}

function waitLine(child: ChildProcess, pred: (l: string) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((res, rej) => {
    const rl = createInterface({ input: child.stdout! });
    const t = setTimeout(() => rej(new Error(`${what}: timed out`)), timeoutMs);
    rl.on("line", (l) => {
      if (pred(l)) {
        clearTimeout(t);
        res(l);
      }
    });
    child.once("exit", (code) => rej(new Error(`${what}: exited with ${code}`)));
  });
}

describe.skipIf(reason !== null)("L7 adversarial suite in network namespaces", () => {
  const topo = new Topology("l7");
  const dir = mkdtempSync(join(tmpdir(), "l7-netns-"));
  const hostLog = join(dir, "host.log");
  const upstreamCa = join(dir, "host-ca.pem");
  const caDir = join(dir, "ca");
  let guest = "";
  const proxyLines: string[] = [];
  const tsx = (file: string, args: string[]): [string, string[]] => [process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", file, ...args]];
  const records = (): Rec[] => readFileSync(hostLog, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Rec);
  const sh = (cmd: string, timeoutMs = 20_000) => topo.exec(guest, "sh", ["-c", `${cmd}; echo "rc=$?"`], { timeoutMs });

  beforeAll(async () => {
    try {
      guest = await topo.netns("guest");
      const proxy = await topo.netns("proxy");
      const pub = await topo.netns("pub");
      await topo.veth(proxy, "to-pub", "198.51.100.1/24", pub, "eth0", `${HOST}/24`);
      writeFileSync(hostLog, "");
      const [hc, ha] = tsx(join(fixtures, "l7-host.ts"), ["--log", hostLog, "--ca", upstreamCa, "--ip", HOST]);
      const host = topo.spawn(pub, hc, ha, { cwd: pkgDir });
      await waitLine(host, (l) => l === "ready", "l7 test host");
      const cfg = join(dir, "config.json");
      writeFileSync(cfg, JSON.stringify(CONFIG(upstreamCa)));
      const [pc, pa] = tsx(join(fixtures, "run-l7-proxy.ts"), ["--config", cfg, "--listen", `netns:${Topology.path(guest)}`, "--ca-dir", caDir, "--upstream", HOST]);
      const proxyChild = topo.spawn(proxy, pc, pa, { cwd: pkgDir });
      createInterface({ input: proxyChild.stdout! }).on("line", (l) => proxyLines.push(l));
      createInterface({ input: proxyChild.stderr! }).on("line", (l) => proxyLines.push(`stderr: ${l}`));
      const line = await waitLine(proxyChild, (l) => /"event":"(attached|error)"/.test(l), "l7 proxy");
      if (!line.includes("attached")) throw new Error(line);
    } catch (e) {
      await topo.destroy();
      throw e;
    }
  }, 120_000);
  afterAll(async () => {
    await topo.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const dnsSeen = (name: string) => records().filter((r) => r.kind === "dns" && r.name?.toLowerCase() === name);
  const curl = (name: string, extra = "") =>
    sh(`curl -sS --max-time 8 --cacert ${caDir}/ca.crt --resolve ${name}:443:${HOST} ${extra} https://${name}/path`);

  it("resolves an allowed name over UDP and TCP through the forwarder", async () => {
    expect(await sh(`dig +short +time=3 +tries=1 @${GATEWAY} api.example.test`)).toContain(HOST);
    expect(await sh(`dig +tcp +short +time=3 +tries=1 @${GATEWAY} other.example.test`)).toContain(HOST);
    expect(dnsSeen("other.example.test").length).toBeGreaterThan(0);
  });

  it("answers denied names NXDOMAIN without asking upstream: mixed case, trailing dot, punycode, DNS over TCP", async () => {
    for (const q of ["EVIL.Example.Test.", "evil.example.test", "+tcp XN--BCHER-KVA.example.test"]) {
      expect(await sh(`dig +time=3 +tries=1 @${GATEWAY} ${q}`)).toMatch(/status: NXDOMAIN/);
    }
    expect(dnsSeen("evil.example.test")).toEqual([]);
    expect(dnsSeen("xn--bcher-kva.example.test")).toEqual([]);
  });

  it("blocks rebinding with TTL 0 and a CNAME to a private address", async () => {
    expect(await sh(`dig +short +time=3 +tries=1 @${GATEWAY} rebind.example.test`)).toContain(HOST);
    expect(await sh(`dig +time=3 +tries=1 @${GATEWAY} rebind.example.test`)).toMatch(/status: NXDOMAIN/);
    expect(await sh(`dig +time=3 +tries=1 @${GATEWAY} cname.example.test`)).toMatch(/status: NXDOMAIN/);
  });

  it("answers DNS over TLS on 853 with the interception leaf", async () => {
    const out = await sh(`dig +tls +short +time=3 +tries=1 @${GATEWAY} dot.example.test`);
    expect(out).toContain(HOST);
    expect(dnsSeen("dot.example.test").some((r) => r.transport === "tcp")).toBe(true);
  });

  it("intercepts HTTPS with a leaf the guest trusts and substitutes the secret towards its host", async () => {
    await sh(`dig +short +time=3 +tries=1 @${GATEWAY} api.example.test`);
    const out = await curl("api.example.test", `-H 'Authorization: Bearer $SECRET_TOKEN'`);
    expect(out).toContain("hello from l7 h");
    const http = records().filter((r) => r.kind === "http" && r.sni === "api.example.test");
    expect(http.at(-1)?.head).toContain("Authorization: Bearer real-token-value");
  });

  it("blocks the placeholder towards another host in a header and in Basic auth", async () => {
    await sh(`dig +short +time=3 +tries=1 @${GATEWAY} other.example.test`);
    const before = records().filter((r) => r.kind === "http").length;
    const a = await curl("other.example.test", `-H 'X-Key: $SECRET_TOKEN'`);
    const b = await curl("other.example.test", `-u 'user:$SECRET_TOKEN'`);
    expect(a).not.toContain("hello from l7 h");
    expect(b).not.toContain("hello from l7 h");
    expect(records().filter((r) => r.kind === "http").length).toBe(before);
    expect(proxyLines.filter((l) => l.includes('"secret_violation"')).length).toBeGreaterThanOrEqual(2);
  });

  it("blocks an SNI/Host mismatch (domain fronting)", async () => {
    const before = records().filter((r) => r.kind === "http").length;
    const out = await curl("api.example.test", `-H 'Host: evil.example.test'`);
    expect(out).not.toContain("hello from l7 h");
    expect(records().filter((r) => r.kind === "http").length).toBe(before);
  });

  it("denies an IP literal with a forbidden SNI, and an allowed SNI without a DNS binding", async () => {
    const tlsBefore = records().filter((r) => r.kind === "tls").length;
    expect(await curl("evil.example.test")).not.toContain("hello from l7 h");
    // An exact allow rule needs the destination IP bound to that very name by a lookup through the proxy.
    expect(await curl("unbound.other.test")).not.toContain("hello from l7 h");
    expect(records().filter((r) => r.kind === "tls").length).toBe(tlsBefore);
    // Once the guest resolves the name through the proxy, the same connection is allowed.
    expect(await sh(`dig +short +time=3 +tries=1 @${GATEWAY} unbound.other.test`)).toContain(HOST);
    expect(await curl("unbound.other.test")).toContain("hello from l7 h");
  });

  it("plain HTTP: keeps an allowed placeholder without TLS identity, blocks it towards another host", async () => {
    await sh(`dig +short +time=3 +tries=1 @${GATEWAY} api.example.test`);
    const ok = await sh(`curl -sS --max-time 8 --resolve api.example.test:80:${HOST} -H 'X-Key: $SECRET_TOKEN' http://api.example.test/`);
    expect(ok).toContain("plain hello l7");
    const heads = records().filter((r) => r.kind === "http80");
    expect(heads.at(-1)?.head).toContain("X-Key: $SECRET_TOKEN");
    expect(heads.at(-1)?.head).not.toContain("real-token-value");
    const bad = await sh(`curl -sS --max-time 8 --resolve other.example.test:80:${HOST} -H 'X-Key: $SECRET_TOKEN' http://other.example.test/`);
    expect(bad).not.toContain("plain hello l7");
    expect(records().filter((r) => r.kind === "http80").length).toBe(heads.length);
  });

  it("drops QUIC (UDP 443) on the intercepted port while other UDP passes", async () => {
    await sh(`echo quic | nc -u -w1 ${HOST} 443; echo other | nc -u -w1 ${HOST} 4443`);
    await new Promise((r) => setTimeout(r, 300));
    expect(records().some((r) => r.kind === "udp" && r.port === 4443)).toBe(true);
    expect(records().some((r) => r.kind === "udp" && r.port === 443)).toBe(false);
  });
});
