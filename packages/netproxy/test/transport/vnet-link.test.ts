/** VnetLink over a real socket: the virtio_net_hdr is stripped from incoming frames; bare headers are counted as runts. */
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { encodeStreamFrame } from "../../src/transport/stream-codec.js";
import { listenUnixStream } from "../../src/transport/stream-endpoints.js";
import { VNET_HDR_LEN, VnetLink } from "../../src/transport/vnet-link.js";
import { frame } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function connected(path: string): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = connect({ path });
    s.once("connect", () => res(s));
    s.once("error", rej);
  });
}

describe("VnetLink", () => {
  it("strips the header, counts frames that are only a header (or less) as runts, not as oversize", async () => {
    const dir = mkdtempSync(join(tmpdir(), "np-vnet-"));
    dirs.push(dir);
    const path = join(dir, "vnet.sock");
    const pending = await listenUnixStream(path, { maxFrameSize: 1514 + VNET_HDR_LEN });
    const peer = await connected(path);
    const link = new VnetLink(await pending.link);
    const got: Uint8Array[] = [];
    link.onFrame((f) => got.push(Uint8Array.from(f)));
    const good = frame(VNET_HDR_LEN + 60, 5);
    peer.write(Buffer.concat([frame(VNET_HDR_LEN, 1), frame(4, 2), good].map(encodeStreamFrame)));
    await expect.poll(() => got.length).toBe(1);
    expect(Buffer.from(got[0]!).equals(Buffer.from(good.subarray(VNET_HDR_LEN)))).toBe(true);
    expect(link.stats.rxRunts).toBe(2);
    expect(link.stats.rxOversize).toBe(0);
    peer.destroy();
  });
});
