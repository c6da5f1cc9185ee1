/**
 * The upstream connect deadline: a SYN whose upstream connect never completes is answered with
 * RST once `connectTimeoutMs` passes (never with SYN-ACK), and the hanging socket is released.
 *
 * The hanging peer is a real loopback listener whose accept queue is full: a child process
 * listens with backlog 1 and then blocks its event loop, so the kernel queues two handshakes and
 * drops every later SYN (the connecting side keeps retransmitting for minutes).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { TCP_FLAG } from "../../src/frame/tcp.js";
import { harness, waitFor, type Harness } from "./helpers/harness.js";
import { isV4, testPolicy } from "./helpers/policy.js";

const LISTENER = `
const net = require("node:net");
const fs = require("node:fs");
const s = net.createServer().listen({ host: "127.0.0.1", port: 0, backlog: 1 }, () => {
  fs.writeSync(1, s.address().port + "\\n");
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});`;

let h: Harness | null = null;
let child: ChildProcess | null = null;
const fillers: net.Socket[] = [];
afterEach(async () => {
  await h?.close();
  h = null;
  for (const s of fillers.splice(0)) s.destroy();
  child?.kill("SIGKILL");
  child = null;
});

/** A loopback port whose connects hang: the listener never accepts and its queue is full. */
async function hangingPort(): Promise<number> {
  child = spawn(process.execPath, ["-e", LISTENER], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child!.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    child!.once("exit", (code) => reject(new Error(`listener exited with ${code}`)));
  });
  // Connect until one attempt stays pending: from then on the kernel drops SYNs to this port.
  for (let i = 0; i < 16; i++) {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", () => {});
    fillers.push(s);
    const connected = await new Promise<boolean>((resolve) => {
      s.once("connect", () => resolve(true));
      setTimeout(() => resolve(false), 500);
    });
    if (!connected) return port;
  }
  throw new Error("the listener's accept queue never filled");
}

describe("upstream connect deadline", () => {
  it("answers the guest's SYN with RST when the upstream connect hangs past connectTimeoutMs", async () => {
    const port = await hangingPort();
    h = await harness({
      policy: testPolicy({ egress: (ip) => (isV4(ip, "172.16.0.1") ? "allow" : "deny") }),
      tuning: { connectTimeoutMs: 300 },
    });
    const g = h.tcp({ srcPort: 41000, dstPort: port });
    g.connect();
    await waitFor(() => g.state === "reset", 10_000, "RST after the connect deadline");
    expect(g.segmentsIn.every((s) => !(s.flags & TCP_FLAG.SYN))).toBe(true);
    expect(g.segmentsIn.at(-1)!.flags & TCP_FLAG.RST).toBeTruthy();
    // The flow is gone from the table: nothing is left open for it.
    await waitFor(() => h!.stack.stats().tcpActive === 0, 5_000, "flow released");
  });
});
