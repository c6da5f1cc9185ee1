/**
 * The provider's own logic, independent of netproxy's stack: from netproxy's address plan to the
 * canonical NIC and annotation, the nerdbox gateway check, and closing netproxy on refusal. A
 * recording `startNetproxy` double stands in for the transport here; the real one runs in
 * provider-e2e.test.ts.
 */
import { describe, expect, it } from "vitest";
import { startNetproxyProvider, type NetproxyHandle, type StartNetproxyLike } from "../src/provider/netproxy-provider.js";

function double(plan: NetproxyHandle["addresses"]) {
  const calls: unknown[] = [];
  let closed = 0;
  const start: StartNetproxyLike = async (opts) => {
    calls.push(opts);
    return {
      address: opts.listen,
      addresses: plan,
      attached: new Promise(() => {}),
      closed: new Promise(() => {}),
      close: async () => void closed++,
    };
  };
  return { start, calls, closedCount: () => closed };
}

const mac = Uint8Array.of(0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee);
const v4 = (g: number[], gw: number[], len: number) => ({ guest: Uint8Array.from(g), gateway: Uint8Array.from(gw), prefixLen: len });

describe("startNetproxyProvider", () => {
  it("listens in the NIC's mode and describes the NIC (static, dual stack, vfkit on unixgram)", async () => {
    const v6 = { guest: Uint8Array.from([0xfd, 0x42, 0x6d, 0x73, 0, 0x62, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]), gateway: Uint8Array.from([0xfd, 0x42, 0x6d, 0x73, 0, 0x62, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), prefixLen: 64 };
    const d = double({ guestMac: mac, mtu: 1500, v4: v4([172, 16, 0, 2], [172, 16, 0, 1], 30), v6 });
    const p = await startNetproxyProvider({ config: { x: 1 }, mode: "unixgram", socketPath: "/run/np/0.sock", index: 1, startNetproxy: d.start });
    expect(d.calls).toEqual([{ config: { x: 1 }, listen: "dgram:unix:/run/np/0.sock" }]);
    expect(p.annotation).toEqual({
      "io.containerd.nerdbox.network.1": "socket=/run/np/0.sock,mode=unixgram,mac=5a:94:ef:e4:0c:ee,addr=172.16.0.2/30,addr=fd42:6d73:62::2/64,vfkit=true",
    });
    expect(p.gateway).toEqual({ ipv4: "172.16.0.1", ipv6: "fd42:6d73:62::1" });
  });

  it("dhcp addressing on unixstream", async () => {
    const d = double({ guestMac: mac, mtu: 1500, v4: v4([192, 168, 127, 2], [192, 168, 127, 1], 24), v6: null });
    const p = await startNetproxyProvider({ config: {}, mode: "unixstream", socketPath: "/s", addressing: "dhcp", startNetproxy: d.start });
    expect(d.calls).toEqual([{ config: {}, listen: "stream:unix:/s" }]);
    expect(p.annotation["io.containerd.nerdbox.network.0"]).toBe("socket=/s,mode=unixstream,mac=5a:94:ef:e4:0c:ee,dhcp=true");
  });

  it("refuses (and stops netproxy) when the gateway is not the subnet's first address", async () => {
    const d = double({ guestMac: mac, mtu: 1500, v4: v4([10, 0, 0, 5], [10, 0, 0, 4], 24), v6: null });
    await expect(startNetproxyProvider({ config: {}, mode: "unixstream", socketPath: "/s", startNetproxy: d.start })).rejects.toThrow(
      "netproxy's gateway 10.0.0.4 is not the first address of 10.0.0.5/24; nerdbox's guest would route and send DNS to 10.0.0.1",
    );
    expect(d.closedCount()).toBe(1);
  });
});
