import { describe, expect, it } from "vitest";
import { answer, answerAll } from "../src/answer.js";

describe("testee answers", () => {
  it("rejections carry the implementation's text; testee failures are marked internal", async () => {
    expect(await answer({ id: "a", config: {}, probe: { kind: "nope" } })).toEqual({ id: "a", error: 'internal error: unknown probe kind "nope"' });
    expect(await answer({ id: "b", config: {}, probe: { kind: "sdk_translation", sdk: "rust", input: "NetworkBuilder::new().max_connections(4097).build()" } })).toEqual({
      id: "b",
      error: "max_connections 4097 exceeds hard limit 4096",
    });
    const bad = await answer({ id: "c", config: {}, probe: { kind: "sdk_translation", sdk: "rust", input: "NetworkBuilder::nope()" } });
    expect("error" in bad && bad.error.startsWith("internal error: ExprEvalError")).toBe(true);
    expect(await answer({ id: "d", config: {}, probe: { kind: "egress", protocol: "tcp", ip: "8.8.8.8", port: 443 } })).toEqual({ id: "d", actual: "allow" });
  });
  it("answers a batch in order", async () => {
    const out = await answerAll([
      { id: "1", config: {}, probe: { kind: "group", ip: "127.0.0.1" } },
      { id: "2", config: { gateway: { ipv4: "172.16.0.1" } }, probe: { kind: "group", ip: "172.16.0.1" } },
    ]);
    expect(out).toEqual([
      { id: "1", actual: "loopback" },
      { id: "2", actual: "host" },
    ]);
  });
});
