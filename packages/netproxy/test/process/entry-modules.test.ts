/**
 * What the proxy process's entry (`@sandbox/netproxy/start`, loaded by `sandbox netproxy`) loads
 * before it is asked for anything: not the control channel (its codec and message schemas), not
 * the TLS interception (CA, certificates), not the conformance probe (dns-packet). Each is loaded
 * when used, so a proxy without a control socket or TLS does not carry them as heap and code.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

function modulesOf(entry: string): string[] {
  const lister = fileURLToPath(new URL("./module-list.mjs", import.meta.url));
  const out = execFileSync(process.execPath, ["--conditions=@sandbox/source", "--import", "tsx", lister, fileURLToPath(new URL(entry, import.meta.url))], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").at(-1)!) as string[];
}

describe("the proxy process's entry", () => {
  it("loads the stack and the DNS forwarder but nothing that waits to be asked for", () => {
    const mods = modulesOf("../../src/start.ts");
    const has = (part: string) => mods.some((u) => u.includes(part));
    expect(has("/netproxy/src/stack/tcp/table.ts")).toBe(true);
    expect(has("/netproxy/src/dns/forwarder.ts")).toBe(true);
    for (const lazy of ["/netproxy/src/control/", "/netproxy/src/tls/services.ts", "/netproxy/src/tls/ca.ts", "/netproxy/src/dns/probe.ts", "/msgpackr/", "/dns-packet/", "/@peculiar/x509/"]) {
      expect(mods.filter((u) => u.includes(lazy)), lazy).toEqual([]);
    }
  });
});
