/** The `sandbox` sub-commands end to end (in-process): output, JSON mode, exit codes, errors. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commands } from "../src/commands/index.js";
import { Exit } from "../src/exit-codes.js";
import { sandbox } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "sandbox-cli-"));
const file = (name: string, value: unknown) => {
  const p = join(tmp, name);
  writeFileSync(p, typeof value === "string" ? value : JSON.stringify(value));
  return p;
};

describe("sandbox", () => {
  it("lists every command in --help and gives each an example", async () => {
    const r = await sandbox(["--help"]);
    expect(r.code).toBe(Exit.ok);
    for (const c of commands) {
      expect(r.stdout).toContain(c.name);
      expect(c.examples.length).toBeGreaterThan(0);
      const h = await sandbox([...c.name.split(" "), "--help"]);
      expect(h.code).toBe(Exit.ok);
      expect(h.stdout).toContain("Examples:");
    }
  });

  it("exits 2 on an unknown command or option", async () => {
    expect((await sandbox(["frobnicate"])).code).toBe(Exit.usage);
    expect((await sandbox(["validate", "--nope", "x"])).code).toBe(Exit.usage);
    expect((await sandbox([])).code).toBe(Exit.usage);
  });
});

describe("validate", () => {
  it("accepts the example config", async () => {
    const r = await sandbox(["validate", "examples/public-only.json"]);
    expect(r.code).toBe(Exit.ok);
    expect(r.stdout).toMatch(/is valid: 4 rules, default egress deny, default ingress allow/);
  });

  it("reports every problem with its JSON path, the value and what is accepted", async () => {
    const bad = file("bad.json", {
      policy: { rules: [{ direction: "ingress", destination: { cidr: "10.0.0.0/33" }, protocols: ["icmpv4"], action: "allow" }] },
      max_connections: 5000,
      ports: [{ host_port: 8080, guest_port: 70000 }],
    });
    const r = await sandbox(["validate", bad]);
    expect(r.code).toBe(Exit.invalid);
    expect(r.stdout).toContain("$.policy.rules[0].destination.cidr");
    expect(r.stdout).toContain("$.policy.rules[0].protocols");
    expect(r.stdout).toContain("ICMP protocols are egress-only");
    expect(r.stdout).toContain("$.ports[0].guest_port");
    expect(r.stdout).toContain("max_connections");
    const j = JSON.parse((await sandbox(["validate", "--json", bad])).stdout);
    expect(j.ok).toBe(false);
    expect(j.errors.length).toBeGreaterThanOrEqual(4);
  });

  it("names the line, column and byte offset of a JSON syntax error", async () => {
    const r = await sandbox(["validate", file("syntax.json", '{\n  "preset": "none",\n  oops\n}')]);
    expect(r.code).toBe(Exit.invalid);
    expect(r.stderr).toMatch(/syntax\.json:3:\d+: invalid JSON at byte offset \d+/);
  });

  it("reads the Go and Python dialects to the same canonical config", async () => {
    const go = file("go.json", { Rules: [{ Action: "allow", Destination: "public", Protocol: "tcp", Port: "443" }], DefaultEgress: "deny" });
    const ffi = file("ffi.json", { custom_policy: { default_egress: "deny", rules: [{ action: "allow", destination: "public", protocol: "tcp", port: "443" }] } });
    const py = file("py.json", { custom_policy: { default_egress: "deny", default_ingress: "allow", rules: [{ action: "allow", destination: "public", protocol: "tcp", port: "443" }] } });
    const outs = await Promise.all([
      sandbox(["normalize", "--dialect", "go", go]),
      sandbox(["normalize", "--dialect", "go-ffi", ffi]),
      sandbox(["normalize", "--dialect", "python", py]),
    ]);
    for (const o of outs) expect(o.code, o.stderr).toBe(Exit.ok);
    expect(JSON.parse(outs[1]!.stdout)).toEqual(JSON.parse(outs[0]!.stdout));
    expect(JSON.parse(outs[2]!.stdout)).toEqual(JSON.parse(outs[0]!.stdout));
    const bad = await sandbox(["validate", "--dialect", "go-ffi", file("badffi.json", { custom_policy: { rules: [{ action: "maybe" }] } })]);
    expect(bad.code).toBe(Exit.invalid);
    expect(bad.stdout).toContain("unknown action: maybe");
  });
});

describe("normalize", () => {
  it("is idempotent", async () => {
    const once = await sandbox(["normalize", "examples/public-only.json"]);
    const twice = await sandbox(["normalize", file("canon.json", once.stdout)]);
    expect(twice.stdout).toBe(once.stdout);
    const rules = JSON.parse(once.stdout).policy.rules;
    expect(rules[0]).toEqual({ direction: "egress", destination: { domain: "tracking.example" }, protocols: [], ports: [], action: "deny" });
    expect(rules[1].destination).toEqual({ domain_suffix: "tracking.example" });
  });
});

describe("explain", () => {
  it("allows public, denies private, names the deciding rule, exit 0/3", async () => {
    const allow = await sandbox(["explain", "examples/public-only.json", "--to", "93.184.216.34:443", "--json"]);
    expect(allow.code).toBe(Exit.ok);
    expect(JSON.parse(allow.stdout)).toMatchObject({ decision: "allow", rule: 3, rule_text: "rule #3 (egress allow group public)" });
    const deny = await sandbox(["explain", "examples/public-only.json", "--to", "10.0.0.5:5432"]);
    expect(deny.code).toBe(Exit.denied);
    expect(deny.stdout).toContain("default_egress deny");
  });

  it("decides DNS names with the deny lists (apex included) and rebind answers", async () => {
    for (const name of ["tracking.example", "a.b.tracking.example"]) {
      expect((await sandbox(["explain", "examples/public-only.json", "--dns", name])).code).toBe(Exit.denied);
    }
    expect((await sandbox(["explain", "examples/public-only.json", "--dns", "ok.example", "--answer", "93.184.216.34"])).code).toBe(Exit.ok);
    const rebind = await sandbox(["explain", "examples/public-only.json", "--dns", "ok.example", "--answer", "10.1.2.3"]);
    expect(rebind.code).toBe(Exit.denied);
    expect(rebind.stdout).toContain("rebind");
  });

  it("uses the SNI and resolved names for domain rules", async () => {
    const cfg = file("dom.json", { policy: { default_egress: "deny", rules: [{ direction: "egress", destination: { domain: "api.example.com" }, action: "allow" }] } });
    expect((await sandbox(["explain", cfg, "--to", "198.51.100.7:443"])).code).toBe(Exit.denied);
    expect((await sandbox(["explain", cfg, "--to", "198.51.100.7:443", "--resolved", "api.example.com=198.51.100.7"])).code).toBe(Exit.ok);
    expect((await sandbox(["explain", cfg, "--to", "198.51.100.7:443", "--resolved", "api.example.com=198.51.100.7", "--sni", "evil.example"])).code).toBe(Exit.denied);
  });

  it("decides ingress from the peer and the guest port", async () => {
    const cfg = file("in.json", { policy: { default_egress: "deny", default_ingress: "allow", rules: [{ direction: "ingress", destination: { group: "loopback" }, action: "deny" }] } });
    const r = await sandbox(["explain", cfg, "--from", "127.0.0.1", "--guest-port", "80"]);
    expect(r.code).toBe(Exit.denied);
    expect(r.stdout).toContain("rule #0");
  });

  it("refuses ambiguous or malformed queries", async () => {
    expect((await sandbox(["explain", "examples/public-only.json"])).code).toBe(Exit.usage);
    expect((await sandbox(["explain", "examples/public-only.json", "--to", "999.1.1.1:80"])).code).toBe(Exit.usage);
  });
});

describe("lint", () => {
  it("warns about a missing apex, a literal any and a never-matching rule", async () => {
    const r = await sandbox(["lint", "--strict", "examples/lint-me.json"]);
    expect(r.code).toBe(Exit.invalid);
    expect(r.stdout).toContain("[suffix-deny-without-apex]");
    expect(r.stdout).toContain("[domain-any-literal]");
    expect(r.stdout).toContain("[never-matches]");
    expect(r.stdout).toContain("$.policy.rules[1]: rule #1 (egress allow cidr 203.0.113.0/24 tcp port 443) is shadowed by the earlier rule #0");
    expect((await sandbox(["lint", "examples/public-only.json"])).code).toBe(Exit.ok);
  });
});

describe("schema, qemu-args, krun", () => {
  it("prints the network JSON Schema", async () => {
    const r = await sandbox(["schema"]);
    expect(JSON.parse(r.stdout).title).toBe("NetworkConfig");
    expect((await sandbox(["schema", "bogus"])).code).toBe(Exit.usage);
  });

  it("builds quicksand's argv and refuses bad input", async () => {
    const r = await sandbox(["qemu-args", "--mode", "mounts_only", "--agent-port", "40001", "--smb-cmd", "smb-stdio", "--json"]);
    expect(JSON.parse(r.stdout)).toEqual([
      "-netdev",
      "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:40001-:40001,guestfwd=tcp:10.0.2.100:445-cmd:smb-stdio",
      "-device",
      "virtio-net-pci,netdev=net0",
      "-global",
      "virtio-net-pci.romfile=",
    ]);
    expect(JSON.parse((await sandbox(["qemu-args", "--mode", "none", "--json"])).stdout)).toEqual(["-nic", "none"]);
    expect((await sandbox(["qemu-args", "--mode", "full", "--agent-port", "40001", "--forward", "40001:80"])).code).toBe(Exit.invalid);
    expect((await sandbox(["qemu-args", "--forward", "99999:80"])).code).toBe(Exit.usage);
  });

  it("emits and parses nerdbox annotations", async () => {
    const a = await sandbox(["krun", "annotations", "examples/krun-settings.json", "--socket", "/tmp/np.sock", "--json"]);
    expect(a.code, a.stderr).toBe(Exit.ok);
    const ann = JSON.parse(a.stdout);
    const p = await sandbox(["krun", "parse", file("ann.json", ann)]);
    expect(p.code).toBe(Exit.ok);
    expect(JSON.parse(p.stdout).networks[0]).toMatchObject({ socket: "/tmp/np.sock", mode: "unixgram", vfkit: true });
    const bad = await sandbox(["krun", "parse", "--annotation", "io.containerd.nerdbox.network.0=socket=/x,mode=tcp,mac=fa:43:25:5d:6f:b4"]);
    expect(bad.code).toBe(Exit.invalid);
    expect(bad.stdout).toContain("invalid network mode: tcp");
  });
});

describe("colour", () => {
  it("colours only on a TTY and never with NO_COLOR or --json", async () => {
    const esc = "\u001b[";
    expect((await sandbox(["validate", "examples/public-only.json"], { tty: true })).stdout).toContain(esc);
    expect((await sandbox(["validate", "examples/public-only.json"], { tty: true, env: { NO_COLOR: "1" } })).stdout).not.toContain(esc);
    expect((await sandbox(["validate", "examples/public-only.json"], { tty: false })).stdout).not.toContain(esc);
    expect((await sandbox(["validate", "--no-color", "examples/public-only.json"], { tty: true })).stdout).not.toContain(esc);
  });
});
