/** The shared `secret_substitution` and `host_pattern`/`tls_pattern` vectors. */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runSecretProbe, type SecretProbe, type SecretProbeConfig } from "../../src/secrets/probe.js";
import { BypassList } from "../../src/tls/patterns.js";

interface Vector { id: string; config: Record<string, unknown>; probe: Record<string, unknown> & { kind: string }; expect: unknown }

function vectors(kind: string): Vector[] {
  const rel = fileURLToPath(new URL("../../../../../shared/vectors/microsandbox.json", import.meta.url));
  const path = existsSync(rel) ? rel : "/work/shared/vectors/microsandbox.json";
  return (JSON.parse(readFileSync(path, "utf8")) as Vector[]).filter((v) => v.probe.kind === kind);
}

describe("secret_substitution vectors", () => {
  const vs = vectors("secret_substitution");
  it("has vectors", () => expect(vs.length).toBeGreaterThanOrEqual(8));
  for (const v of vs) {
    it(v.id, () => {
      const got = runSecretProbe(v.config as unknown as SecretProbeConfig, v.probe as unknown as SecretProbe);
      const exp = v.expect as { violation?: string; forwarded?: string };
      if (exp.violation !== undefined) expect(got).toEqual({ violation: exp.violation });
      else expect("forwarded" in got && exp.forwarded!.startsWith(got.forwarded)).toBe(true);
    });
  }
});

describe("tls_pattern vectors through the bypass list", () => {
  for (const v of vectors("tls_pattern")) {
    it(v.id, () => {
      const p = v.probe as unknown as { pattern: string; sni: string };
      expect(new BypassList([p.pattern]).matches(p.sni) ? "match" : "no_match").toBe(v.expect);
    });
  }
});

describe("guest environment", () => {
  it("carries placeholders only ($MSB_<env_var> by default)", async () => {
    const { guestSecretEnv } = await import("../../src/secrets/env.js");
    const env = guestSecretEnv([{ env_var: "A", placeholder: "$PH_A" }, { env_var: "B_KEY" }] as never);
    expect(env).toEqual({ A: "$PH_A", B_KEY: "$MSB_B_KEY" });
  });
});
