import { describe, expect, it } from "vitest";
import { evaluateExpr, ExprEvalError, ExprSyntaxError, parseExpr, tokenize } from "../src/interp/index.js";
import { goBag, goEnv, pythonEnv, rustEnv, typescriptEnv, pythonBag, rustBag, typescriptBag } from "../src/kinds/sdk-envs.js";

describe("tokenizer and parser", () => {
  it("tokenizes strings with escapes, numbers and punctuation", () => {
    expect(tokenize(`a::b("x\\"y", 4_43, 'z')`).map((t) => t.value ?? t.text)).toEqual(["a", "::", "b", "(", 'x"y', ",", 443, ",", "z", ")", ""]);
  });
  it("parses closures, kwargs, arrays and Rust macros", () => {
    const e = parseExpr("f(|e| e.tcp(), x => x, (a, b) => a, k=[1, 2], v=vec![3], r=&[4])");
    expect(e.type).toBe("call");
    if (e.type === "call") {
      expect(e.args.map((a) => a.type)).toEqual(["closure", "closure", "closure"]);
      expect(e.kwargs.map((k) => k.name)).toEqual(["k", "v", "r"]);
    }
  });
  it("reports syntax errors with offsets", () => {
    expect(() => parseExpr("a.(")).toThrow(ExprSyntaxError);
    expect(() => parseExpr("'open")).toThrow(/unterminated string at offset 0/);
    expect(() => parseExpr("f(a=1, 2)")).toThrow(/positional argument after keyword/);
  });
});

describe("evaluation drives the dialect APIs", () => {
  it("Rust spellings with implicit receivers", () => {
    const bag = rustBag(evaluateExpr("egress(|e| e.tcp().port(443).allow_public()).ingress(|i| i.port_range(8000, 9000).allow_loopback())", rustEnv()));
    expect(bag.rules).toEqual([
      { direction: "egress", destination: { group: "public" }, protocols: ["tcp"], ports: [{ start: 443, end: 443 }], action: "allow" },
      { direction: "ingress", destination: { group: "loopback" }, protocols: [], ports: [{ start: 8000, end: 9000 }], action: "allow" },
    ]);
    expect(() => rustBag(evaluateExpr("egress(|e| e.port_range(9, 1).allow_public()).egress(|e| e.allow_any().port_range(5, 2))", rustEnv()))).toThrow(
      "rule #0: invalid port range 9..1; lo must be <= hi",
    );
    expect(() => rustBag(evaluateExpr("egress(|e| e.allow_any().port_range(5, 2))", rustEnv()))).toThrow("rule #1: invalid port range 5..2; lo must be <= hi");
    expect(() => rustBag(evaluateExpr("egress(|e| e.allow())", rustEnv()))).toThrow(/^rule #0: destination not set/);
    expect(rustBag(evaluateExpr("NetworkBuilder::new().policy(NetworkPolicy::public_only()).max_connections(10).build()", rustEnv())).max_connections).toBe(10);
    expect(rustBag(evaluateExpr("NetworkPolicy.builder().rule(Rule.allow_outbound(Destination.cidr('10.0.0.0/8'), {ports: [PortRange.range(1, 2)]}))", rustEnv())).rules).toEqual([
      { direction: "egress", destination: { cidr: "10.0.0.0/8" }, protocols: [], ports: [{ start: 1, end: 2 }], action: "allow" },
    ]);
  });
  it("Python classes with keyword arguments", () => {
    const bag = pythonBag(evaluateExpr("Network(policy=NetworkPolicy.from_profiles(PUBLIC), deny_domains=['x.com'], tls=TlsConfig(bypass=['*.p.com']))", pythonEnv()));
    expect(bag.network).toMatchObject({ deny_domains: ["x.com"], tls: { bypass: ["*.p.com"] } });
    expect((bag.effective as { tls: { enabled: boolean } }).tls.enabled).toBe(true);
    expect(() => pythonBag(evaluateExpr("NetworkPolicy.from_profiles('public')", pythonEnv()))).toThrow(/TypeError/);
  });
  it("TypeScript SDK objects", () => {
    const bag = typescriptBag(evaluateExpr("NetworkPolicy.builder().egress(e => e.allow(d => d.group('link-local'))).build()", typescriptEnv()));
    expect(bag.rules).toEqual([{ direction: "egress", destination: { kind: "group", group: "link-local" }, protocols: [], ports: [], action: "allow" }]);
    expect(() => evaluateExpr("NetworkPolicy.fromProfiles('bogus')", typescriptEnv())).toThrow("unknown network profile: bogus");
  });
  it("Go factory calls", () => {
    expect(goBag(evaluateExpr("m.NetworkPolicy.NonLocal()", goEnv())).policy).toMatchObject({ default_egress: "deny", default_ingress: "allow" });
    expect(goBag(evaluateExpr("m.NetworkPolicy.None()", goEnv())).enabled).toBe(false);
    expect(goBag(evaluateExpr("Rule.AllowDNS()", goEnv())).protocols).toEqual(["udp", "tcp"]);
    expect(() => evaluateExpr('m.NetworkPolicy.FromProfilesChecked("bogus")', goEnv())).toThrow('microsandbox: unknown network profile "bogus"');
  });
  it("refuses reflective members and unknown names", () => {
    expect(() => evaluateExpr("NetworkPolicy.constructor", rustEnv())).toThrow(ExprEvalError);
    expect(() => evaluateExpr("Rule.__proto__", pythonEnv())).toThrow(/not accessible/);
    expect(() => evaluateExpr("process.exit(1)", rustEnv())).toThrow(/not accessible|unknown name/);
    expect(() => evaluateExpr("globalThis", rustEnv())).toThrow();
    expect(() => evaluateExpr("NetworkPolicy.nope()", rustEnv())).toThrow(/not a member/);
  });
});
