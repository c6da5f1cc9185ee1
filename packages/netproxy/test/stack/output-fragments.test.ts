/**
 * FrameOutput's fragmentation of L4 messages larger than the MTU: IPv4 and IPv6 fragments that
 * parse (IPv4 header checksums verified), reassemble to the message, and are built in the link's
 * buffer from one copy of the message (no buffer per fragment).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ETH_HEADER_LEN } from "../../src/frame/ethernet.js";
import { IPPROTO, parseIpv4 } from "../../src/frame/ipv4.js";
import { parseIpv6 } from "../../src/frame/ipv6.js";
import type { AddressPlan } from "../../src/stack/addr.js";
import { FrameOutput } from "../../src/stack/output.js";
import type { FrameLink } from "../../src/transport/link.js";

afterEach(() => {
  vi.restoreAllMocks();
});

/** A link that writes frames in place into one buffer per frame (as the stream link does into its staging buffer). */
function captureLink(): FrameLink & { frames: Uint8Array[] } {
  const frames: Uint8Array[] = [];
  return {
    frames,
    maxFrameSize: 65550,
    send: (f) => (frames.push(Uint8Array.from(f)), true),
    sendWith: (len, fill) => {
      const b = new Uint8Array(len);
      fill(b, 0);
      frames.push(b);
      return true;
    },
    onFrame: () => {},
    onDrain: () => {},
    onClose: () => {},
    close: () => {},
  };
}

const plan = { mtu: 1500, guestMac: Uint8Array.of(2, 0, 0, 0, 0, 1), gatewayMac: Uint8Array.of(2, 0, 0, 0, 0, 2) } as unknown as AddressPlan;
const message = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + 7) & 0xff);

describe("fragmented output", () => {
  it("IPv4: fragments with valid header checksums that reassemble to the message, one buffer for the whole datagram", () => {
    const link = captureLink();
    const out = new FrameOutput(link, plan);
    const msg = message(4000);
    const alloc = vi.spyOn(Buffer, "allocUnsafe");
    out.sendIp(Uint8Array.of(10, 0, 2, 2), Uint8Array.of(10, 0, 2, 100), IPPROTO.UDP, msg.length, (b, o) => b.set(msg, o));
    expect(alloc).toHaveBeenCalledTimes(1);
    expect(link.frames.length).toBe(3);
    const got = new Uint8Array(msg.length);
    const ids = new Set<number>();
    link.frames.forEach((f, i) => {
      expect(f.length).toBeLessThanOrEqual(ETH_HEADER_LEN + plan.mtu);
      const p = parseIpv4(f.subarray(ETH_HEADER_LEN));
      if (typeof p === "string") throw new Error(`fragment ${i}: ${p}`);
      expect(p.moreFragments).toBe(i < 2);
      ids.add((f[ETH_HEADER_LEN + 4]! << 8) | f[ETH_HEADER_LEN + 5]!);
      got.set(p.payload, p.fragOffset);
    });
    expect(ids.size).toBe(1);
    expect(Buffer.from(got).equals(Buffer.from(msg))).toBe(true);
  });

  it("IPv6: fragment headers with one identification and offsets that reassemble to the message", () => {
    const link = captureLink();
    const out = new FrameOutput(link, plan);
    const msg = message(3500);
    const src = new Uint8Array(16).fill(0xfd, 0, 1);
    const dst = Uint8Array.from(src, (x, i) => (i === 15 ? 9 : x));
    const alloc = vi.spyOn(Buffer, "allocUnsafe");
    out.sendIp(src, dst, IPPROTO.UDP, msg.length, (b, o) => b.set(msg, o));
    expect(alloc).toHaveBeenCalledTimes(1);
    expect(link.frames.length).toBe(3);
    const got = new Uint8Array(msg.length);
    const idents = new Set<number>();
    link.frames.forEach((f, i) => {
      expect(f.length).toBeLessThanOrEqual(ETH_HEADER_LEN + plan.mtu);
      const p = parseIpv6(f.subarray(ETH_HEADER_LEN));
      if (typeof p === "string") throw new Error(`fragment ${i}: ${p}`);
      expect(p.nextHeader).toBe(IPPROTO.UDP);
      expect(p.fragment?.moreFragments).toBe(i < 2);
      idents.add(p.fragment!.id);
      got.set(p.payload, p.fragment!.offset);
    });
    expect(idents.size).toBe(1);
    expect(Buffer.from(got).equals(Buffer.from(msg))).toBe(true);
  });
});
