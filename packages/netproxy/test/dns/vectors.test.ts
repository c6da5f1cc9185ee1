/** The shared `dns_message` vectors run through the real forwarder (scripted upstream). */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runDnsMessageProbe, type DnsMessageConfig, type DnsMessageProbe } from "../../src/dns/probe.js";

interface Vector { id: string; config: DnsMessageConfig; probe: DnsMessageProbe & { kind: string }; expect: Record<string, unknown> }

function vectors(): Vector[] {
  const rel = fileURLToPath(new URL("../../../../../shared/vectors/microsandbox.json", import.meta.url));
  const path = existsSync(rel) ? rel : "/work/shared/vectors/microsandbox.json";
  return (JSON.parse(readFileSync(path, "utf8")) as Vector[]).filter((v) => v.probe.kind === "dns_message");
}

describe("dns_message vectors", () => {
  const vs = vectors();
  it("has vectors", () => expect(vs.length).toBeGreaterThanOrEqual(6));
  for (const v of vs) {
    it(v.id, async () => {
      const got = await runDnsMessageProbe(v.config, v.probe);
      expect(got).toMatchObject(v.expect);
    });
  }
});
