/**
 * The `sandbox` command's shebang starts node with netproxy's node flags, so that
 * `sandbox netproxy` run directly gets the same process settings as the proxies `sandbox run` and
 * the topologies start (NETPROXY_NODE_FLAGS); the line is run through env(1) as the kernel would.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NETPROXY_NODE_FLAGS } from "@sandbox/netproxy/node-flags";
import { netproxyCliCommand } from "../src/self.js";

const shebang = readFileSync(new URL("../src/bin.ts", import.meta.url), "utf8").split("\n")[0]!;

describe("the sandbox command's node flags", () => {
  it("names netproxy's node flags in the shebang", () => {
    expect(shebang).toBe(`#!/usr/bin/env -S node ${NETPROXY_NODE_FLAGS.join(" ")}`);
  });

  it("starts a node that accepts them, split by env -S", () => {
    // The kernel runs the interpreter with the rest of the line as one argument, then the script.
    const [, interpreter, arg] = /^#!(\S+) (.*)$/.exec(shebang)!;
    const script = join(mkdtempSync(join(tmpdir(), "sandbox-bin-")), "argv.js");
    writeFileSync(script, "console.log(process.execArgv.join(' '));\n");
    const r = spawnSync(interpreter!, [arg!, script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(NETPROXY_NODE_FLAGS.join(" "));
  });

  it("passes them ahead of the command when it starts a proxy process", () => {
    const argv = netproxyCliCommand();
    expect(argv.slice(0, NETPROXY_NODE_FLAGS.length)).toEqual([...NETPROXY_NODE_FLAGS]);
    expect(argv.at(-1)).toBe("netproxy");
  });
});
