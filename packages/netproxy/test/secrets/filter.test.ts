import { describe, expect, it, vi } from "vitest";
import { SecretsConfig, type SecretsConfigInput } from "@sandbox/core";
import { RequestFilter, type FilterBlock } from "../../src/http/request-filter.js";
import { classifySecrets } from "../../src/secrets/classify.js";
import { jsonUnescape, percentDecode, StreamScanner } from "../../src/secrets/scan.js";

const CFG: SecretsConfigInput = {
  secrets: [
    { env_var: "OPENAI", placeholder: "$OPENAI_KEY", value: "sk-real-openai", allowed_hosts: [{ wildcard: "*.openai.com" }] },
    { env_var: "GH", placeholder: "$GH_TOKEN", value: "ghp_real", allowed_hosts: [{ exact: "api.github.com" }], injection: { query_params: true, body: true }, on_violation: "block-and-terminate" },
  ],
  on_violation: "block-and-log",
};

function run(sni: string | null, parts: (string | Buffer)[], cfg: SecretsConfigInput = CFG, opts: { pinned?: (pred: (n: string) => boolean) => boolean; intercepted?: boolean } = {}): { out: string; block?: FilterBlock } {
  const parsed = SecretsConfig.parse(cfg);
  const intercepted = opts.intercepted ?? sni !== null;
  const f = new RequestFilter({
    mode: intercepted && sni ? { kind: "intercepted", sni } : { kind: "plain" },
    planFor: (host) => classifySecrets(parsed, { host: intercepted ? sni : host, tlsIntercepted: intercepted, ...(opts.pinned ? { pinned: opts.pinned } : {}) }),
  });
  const out: Buffer[] = [];
  for (const p of parts) {
    const r = f.push(typeof p === "string" ? Buffer.from(p, "latin1") : p);
    out.push(...r.out);
    if (r.block) return { out: Buffer.concat(out).toString("latin1"), block: r.block };
  }
  return { out: Buffer.concat(out).toString("latin1") };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("request filter: substitution towards allowed hosts", () => {
  it("substitutes a header placeholder for a wildcard-allowed host (apex and subdomain)", () => {
    for (const host of ["api.openai.com", "openai.com"]) {
      const r = run(host, [`GET /v1 HTTP/1.1\r\nHost: ${host.toUpperCase()}:443\r\nAuthorization: Bearer $OPENAI_KEY\r\n\r\n`]);
      expect(r.block).toBeUndefined();
      expect(r.out).toContain("Authorization: Bearer sk-real-openai\r\n");
      expect(r.out).not.toContain("$OPENAI_KEY");
    }
  });

  it("substitutes inside Basic credentials and re-encodes them", () => {
    const r = run("api.openai.com", [`GET / HTTP/1.1\r\nHost: api.openai.com\r\nAuthorization: Basic ${b64("user:$OPENAI_KEY")}\r\n\r\n`]);
    expect(r.out).toContain(`Authorization: Basic ${b64("user:sk-real-openai")}`);
  });

  it("substitutes in the query only when enabled, never in the path", () => {
    const r = run("api.github.com", ["GET /$GH_TOKEN/x?t=$GH_TOKEN HTTP/1.1\r\nHost: api.github.com\r\n\r\n"]);
    expect(r.out.split("\r\n")[0]).toBe("GET /$GH_TOKEN/x?t=ghp_real HTTP/1.1");
    const o = run("api.openai.com", ["GET /?k=$OPENAI_KEY HTTP/1.1\r\nHost: api.openai.com\r\n\r\n"]);
    expect(o.out).toContain("?k=$OPENAI_KEY ");
  });

  it("substitutes a fixed-length body (Content-Length updated) and a chunked body, split across writes", () => {
    const body = '{"token":"$GH_TOKEN"}';
    const req = `POST /x HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const r = run("api.github.com", [req.slice(0, 50), req.slice(50, 75), req.slice(75)]);
    expect(r.out).toContain(`Content-Length: ${'{"token":"ghp_real"}'.length}\r\n`);
    expect(r.out.endsWith('{"token":"ghp_real"}')).toBe(true);
    const chunked = `POST /x HTTP/1.1\r\nHost: api.github.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"t":\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`;
    const c = run("api.github.com", [chunked.slice(0, 80), chunked.slice(80)]);
    expect(c.block).toBeUndefined();
    expect(c.out).toContain("ghp_real");
    expect(c.out.endsWith("0\r\n\r\n")).toBe(true);
  });

  it("processes pipelined requests each", () => {
    const one = "GET /a HTTP/1.1\r\nHost: api.openai.com\r\nX-K: $OPENAI_KEY\r\n\r\n";
    const r = run("api.openai.com", [one + one + "POST /b HTTP/1.1\r\nHost: api.openai.com\r\nContent-Length: 3\r\n\r\nabc" + one]);
    expect(r.out.match(/sk-real-openai/g)).toHaveLength(3);
    expect(r.out).toContain("\r\n\r\nabcGET /a");
  });

  it("requires the DNS pin for TLS-intercepted secrets when a pin check is given", () => {
    const req = "GET / HTTP/1.1\r\nHost: api.openai.com\r\nAuthorization: Bearer $OPENAI_KEY\r\n\r\n";
    const unpinned = run("api.openai.com", [req], CFG, { pinned: () => false });
    expect(unpinned.block?.action).toBe("block-and-log");
    const pinned = run("api.openai.com", [req], CFG, { pinned: (pred) => pred("api.openai.com") });
    expect(pinned.out).toContain("sk-real-openai");
  });

  it("keeps the placeholder on plain HTTP (require_tls_identity) but substitutes when it is off", () => {
    const req = "GET / HTTP/1.1\r\nHost: api.openai.com\r\nAuthorization: Bearer $OPENAI_KEY\r\n\r\n";
    expect(run(null, [req], CFG, { intercepted: false }).out).toBe(req);
    const relaxed: SecretsConfigInput = { secrets: [{ env_var: "OPENAI", placeholder: "$OPENAI_KEY", value: "sk-real-openai", allowed_hosts: [{ wildcard: "*.openai.com" }], require_tls_identity: false }] };
    expect(run(null, [req], relaxed, { intercepted: false }).out).toContain("sk-real-openai");
  });
});

describe("request filter: violations towards other hosts", () => {
  const evil = (extra: string, parts?: number[]) => {
    const req = `GET / HTTP/1.1\r\nHost: evil.com\r\n${extra}\r\n`;
    const cuts = [0, ...(parts ?? []), req.length];
    return run("evil.com", cuts.slice(1).map((c, i) => req.slice(cuts[i], c)));
  };

  it("blocks a placeholder in a header, in Basic auth, percent-encoded and JSON-escaped", () => {
    expect(evil("X-Api: $OPENAI_KEY\r\n").block).toMatchObject({ action: "block-and-log", violation: { envVar: "OPENAI", location: "header", form: "raw" } });
    expect(evil(`Authorization: Basic ${b64("me:$OPENAI_KEY")}\r\n`).block).toMatchObject({ violation: { location: "authorization_basic", form: "basic_auth_decoded" } });
    expect(evil("X-Api: %24OPENAI%5FKEY\r\n").block).toMatchObject({ violation: { form: "percent_decoded" } });
    expect(evil("X-Api: \\u0024OPENAI_KEY\r\n").block).toMatchObject({ violation: { form: "json_unescaped" } });
  });

  it("blocks a placeholder split across TCP segments in the head and in the body", () => {
    const r = evil("X-Api: $OPENAI_KEY\r\n", [30, 31, 33]);
    expect(r.block?.action).toBe("block-and-log");
    expect(r.out).toBe("");
    const body = "aaaa$OPENAI_KEYbbbb";
    const req = `POST / HTTP/1.1\r\nHost: evil.com\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const at = req.indexOf("$OPENAI") + 4;
    const s = run("evil.com", [req.slice(0, at), req.slice(at)]);
    expect(s.block?.violation).toMatchObject({ location: "body" });
    expect(s.out).not.toContain("$OPENAI_KEY");
  });

  it("finds a placeholder split by chunked framing", () => {
    const req = "POST / HTTP/1.1\r\nHost: evil.com\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n$OPE\r\n7\r\nNAI_KEY\r\n0\r\n\r\n";
    expect(run("evil.com", [req]).block?.violation).toMatchObject({ location: "body" });
  });

  it("takes the strictest action when several placeholders match", () => {
    expect(evil("A: $OPENAI_KEY\r\nB: $GH_TOKEN\r\n").block?.action).toBe("block-and-terminate");
  });

  it("blocks on plain non-HTTP streams too (opaque scan, no host)", () => {
    const r = run(null, ["SSH-2.0-OpenSSH\r\n", "xx$OPENAI", "_KEY"], CFG, { intercepted: false });
    expect(r.block?.violation).toMatchObject({ location: "stream" });
  });
});

describe("request filter: Host = SNI and malformed requests", () => {
  const blocked = (req: string, sni = "api.openai.com") => run(sni, [req]).block;
  it("blocks Host/SNI mismatch, absolute-form authority mismatch and duplicate Host", () => {
    expect(blocked("GET / HTTP/1.1\r\nHost: evil.com\r\n\r\n")?.reason).toMatch(/does not match the SNI/);
    expect(blocked("GET http://evil.com/ HTTP/1.1\r\nHost: api.openai.com\r\n\r\n")?.reason).toMatch(/authority/);
    expect(blocked("GET / HTTP/1.1\r\nHost: api.openai.com\r\nHost: api.openai.com\r\n\r\n")).toBeDefined();
    expect(blocked("GET / HTTP/1.1\r\nHost: API.OpenAI.com.:8443\r\n\r\n")).toBeUndefined();
  });
  it("blocks HTTP/2.0 request lines, TE+CL, conflicting CL, bad chunking, folding", () => {
    expect(blocked("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")).toBeDefined();
    expect(blocked("POST / HTTP/1.1\r\nHost: api.openai.com\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")).toBeDefined();
    expect(blocked("POST / HTTP/1.1\r\nHost: api.openai.com\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n")).toBeDefined();
    expect(blocked("POST / HTTP/1.1\r\nHost: api.openai.com\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")).toBeDefined();
    expect(blocked("GET / HTTP/1.1\r\nHost: api.openai.com\r\nX: a\r\n b\r\n\r\n")).toBeDefined();
  });
});

describe("scan helpers", () => {
  it("decodes leniently", () => {
    expect(percentDecode("%24A%zz%2")).toBe("$A%zz%2");
    expect(jsonUnescape("\\u0024K\\/\\q")).toBe("$K/\\q");
  });
  it("keeps a sliding tail of 6x the placeholder", () => {
    const s = new StreamScanner([{ placeholder: "$KEY", action: "block", envVar: "K" }]);
    expect(s.push(Buffer.from("xxxx\\u00"))).toBeUndefined();
    expect(s.push(Buffer.from("24KEY"))).toMatchObject({ form: "json_unescaped" });
  });
});

describe("non-ASCII placeholders", () => {
  it("are found and substituted by their UTF-8 bytes", () => {
    const cfg: SecretsConfigInput = { secrets: [{ env_var: "U", placeholder: "$CLÉ_€", value: "välue", allowed_hosts: [{ exact: "api.test" }] }] };
    const ok = run("api.test", [Buffer.from("GET / HTTP/1.1\r\nHost: api.test\r\nX-K: $CLÉ_€\r\n\r\n", "utf8")], cfg);
    expect(Buffer.from(ok.out, "latin1").toString("utf8")).toContain("X-K: välue");
    const bad = run("evil.test", [Buffer.from("GET / HTTP/1.1\r\nHost: evil.test\r\nX-K: $CLÉ_€\r\n\r\n", "utf8")], cfg);
    expect(bad.block?.violation).toMatchObject({ envVar: "U" });
    const body = Buffer.from("aa$CLÉ_€bb", "utf8");
    const split = run("evil.test", [Buffer.from(`POST / HTTP/1.1\r\nHost: evil.test\r\nContent-Length: ${body.length}\r\n\r\n`), body.subarray(0, 5), body.subarray(5)], cfg);
    expect(split.block?.violation).toMatchObject({ location: "body" });
  });
});

describe("request filter: heads fed a byte at a time", () => {
  it("assembles a 60 KiB head sent one byte per push without re-joining it (linear work), substituting as usual", () => {
    const filler = Array.from({ length: 600 }, (_, i) => `X-Filler-${i}: ${"a".repeat(80)}\r\n`).join("");
    const head = `GET /v1 HTTP/1.1\r\nHost: api.openai.com\r\n${filler}Authorization: Bearer $OPENAI_KEY\r\n\r\n`;
    expect(head.length).toBeGreaterThan(50_000);
    const bytes = Buffer.from(head, "latin1");
    const parts = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    // Count the bytes the filter copies through Buffer.concat: re-joining the buffer on every push
    // would copy ~n²/2 bytes (seconds of CPU for a guest trickling a 64 KiB head).
    const concat = Buffer.concat;
    let copied = 0;
    const spy = vi.spyOn(Buffer, "concat").mockImplementation((list: readonly Uint8Array[], total?: number) => {
      copied += list.reduce((n, b) => n + b.length, 0);
      return concat(list, total);
    });
    let r: ReturnType<typeof run>;
    try {
      r = run("api.openai.com", parts);
    } finally {
      spy.mockRestore();
    }
    expect(r.block).toBeUndefined();
    expect(r.out).toContain("Authorization: Bearer sk-real-openai\r\n");
    expect(r.out.length).toBe(head.length - "$OPENAI_KEY".length + "sk-real-openai".length);
    expect(copied).toBeLessThan(8 * head.length);
  });

  it("keeps earlier output views intact while appending (split terminator across pushes)", () => {
    const r = run("api.openai.com", ["GET / HTTP/1.1\r\nHost: api.openai.com\r\n\r", "\n", "GET /b HTTP/1.1\r\nHost: api.openai.com\r\n\r\n"]);
    expect(r.block).toBeUndefined();
    expect(r.out).toBe("GET / HTTP/1.1\r\nHost: api.openai.com\r\n\r\nGET /b HTTP/1.1\r\nHost: api.openai.com\r\n\r\n");
  });
});

describe("request filter: no Host header on an intercepted connection (vectors secret-004, secret-007)", () => {
  it("forwards it, judged by the SNI: substituted towards an allowed SNI, unchanged without a placeholder", () => {
    const r = run("api.openai.com", ["GET /v1 HTTP/1.1\r\nAuthorization: Bearer $OPENAI_KEY\r\n\r\n"]);
    expect(r.block).toBeUndefined();
    expect(r.out).toBe("GET /v1 HTTP/1.1\r\nAuthorization: Bearer sk-real-openai\r\n\r\n");
    const plain = run("api.openai.com", ['POST / HTTP/1.1\r\nContent-Length: 15\r\n\r\n{"key": "$KEY"}']);
    expect(plain.block).toBeUndefined();
    expect(plain.out).toBe('POST / HTTP/1.1\r\nContent-Length: 15\r\n\r\n{"key": "$KEY"}');
  });

  it("still blocks a placeholder towards an SNI its secret is not allowed for, and a second Host", () => {
    const r = run("evil.example", ["GET / HTTP/1.1\r\nAuthorization: Bearer $OPENAI_KEY\r\n\r\n"]);
    expect(r.block).toMatchObject({ action: "block-and-log", violation: { envVar: "OPENAI", location: "header" } });
    expect(r.out).toBe("");
    const two = run("api.openai.com", ["GET / HTTP/1.1\r\nHost: api.openai.com\r\nHost: api.openai.com\r\n\r\n"]);
    expect(two.block?.reason).toMatch(/at most one Host/);
  });
});
