/**
 * TLS interception and secret substitution end to end in namespaces: the guest trusts only the
 * proxy's interception CA (handed out by startNetproxy), the public test host serves HTTPS with a
 * certificate from a test CA that the proxy trusts upstream. A placeholder sent to the allowed host
 * arrives as the real secret; sent to another host it is blocked and reported.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { netnsUnavailableReason } from "../../src/netns/index.js";
import { useWorld } from "./use-world.js";
import { PUBLIC_HOST, upstreamCerts } from "./world.js";

const reason = netnsUnavailableReason();
if (reason && process.env.SANDBOX_REQUIRE_E2E === "1") throw new Error(`SANDBOX_REQUIRE_E2E=1 but netns tests cannot run: ${reason}`);

describe.skipIf(reason !== null)("TLS interception and secrets through netproxy (netns)", () => {
  const { w, events } = useWorld((w) => {
    const certs = upstreamCerts(w.dir);
    return {
      build: { tls: { cert: certs.cert, key: certs.key } },
      config: {
        preset: "public-only",
        dns: { nameservers: [PUBLIC_HOST] },
        tls: { enabled: true, upstream_ca_cert: [certs.ca] },
        secrets: { secrets: [{ env_var: "API_TOKEN", value: "s3cr3t-value-42", allowed_hosts: [{ exact: "public.test" }] }] },
      },
      netproxyArgs: ["--ca-dir", join(w.dir, "ca"), "--trust-out", join(w.dir, "guest-trust.pem")],
      guestResolver: true,
    };
  });
  const trust = join(w.dir, "guest-trust.pem");

  it("hands out the interception CA for the guest", () => {
    expect(readFileSync(trust, "utf8")).toMatch(/-----BEGIN CERTIFICATE-----/);
  });

  it("substitutes the secret for the allowed host over intercepted TLS", async () => {
    const out = await w.inGuest("curl", ["-sS", "--max-time", "15", "--cacert", trust, "-H", "Authorization: Bearer $MSB_API_TOKEN", "https://public.test/headers"]);
    const headers = JSON.parse(out) as Record<string, string>;
    expect(headers.authorization).toBe("Bearer s3cr3t-value-42");
  });

  it("blocks the placeholder towards another host, reports it, and the secret never leaves", async () => {
    const before = events.length;
    await w.inGuest("curl", ["-sS", "--max-time", "15", "--cacert", trust, "-H", "Authorization: Bearer $MSB_API_TOKEN", "https://other.test/headers"]).catch((e: Error) => e.message);
    await expect
      .poll(() => events.slice(before).some((e) => "violation" in e.event && e.event.violation.kind === "secret_leak"), { timeout: 5000 })
      .toBe(true);
    const seen = w.records("pub").filter((r) => r.headers && r.headers.host === "other.test");
    for (const r of seen) expect(JSON.stringify(r.headers)).not.toContain("s3cr3t-value-42");
  });

  it("refuses a guest that does not trust the interception CA", async () => {
    await expect(w.inGuest("curl", ["-sS", "--max-time", "15", "https://public.test/headers"])).rejects.toThrow(/certificate|SSL/i);
  });
});
