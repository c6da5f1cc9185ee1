/**
 * `emitAnnotations` round trips: canonical settings → annotations → nerdbox parser → canonical
 * settings is the identity (socket filled from the provider), over hand-picked and seeded random
 * configs; and the config errors name their JSON path.
 */
import { describe, expect, it } from "vitest";
import { emitAnnotations } from "../src/nerdbox/emit.js";
import { fromAnnotations } from "../src/nerdbox/bundle.js";
import { fromNerdboxNetwork } from "../src/config/convert.js";
import { VIRTIO_NET_FEATURES, type VirtioNetFeatureName } from "../src/nerdbox/features.js";
import type { KrunNetwork } from "../src/config/types.js";

function net(p: Partial<KrunNetwork> & { mac: string }): KrunNetwork {
  return { socket: "", mode: "unixstream", dhcp: false, addrs: [], features: [], vfkit: false, vnet_hdr: false, ...p };
}

function roundTrip(networks: KrunNetwork[], sockets: string[]): KrunNetwork[] {
  const ann = emitAnnotations({ networks }, sockets);
  return fromAnnotations(ann).networks.map(fromNerdboxNetwork);
}

function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 4294967296;
  };
}

describe("emitAnnotations", () => {
  it("emits nerdbox's documented field order and fills the provider socket", () => {
    const ann = emitAnnotations(
      { networks: [net({ mac: "5A:94:EF:E4:0C:EE", mode: "unixgram", vfkit: true, addrs: ["fd00::2/64", "192.168.127.2/24"], features: ["VIRTIO_NET_F_HOST_TSO4", "VIRTIO_NET_F_CSUM"] })] },
      "/run/netproxy/nic0.sock",
    );
    expect(ann).toEqual({
      "io.containerd.nerdbox.network.0":
        "socket=/run/netproxy/nic0.sock,mode=unixgram,mac=5a:94:ef:e4:0c:ee,addr=192.168.127.2/24,addr=fd00::2/64,features=VIRTIO_NET_F_CSUM|VIRTIO_NET_F_HOST_TSO4,vfkit=true",
    });
  });

  it("a list of provider paths is consumed by the networks without a socket, in order", () => {
    const ann = emitAnnotations({ networks: [net({ mac: "02:00:00:00:00:01", socket: "/tmp/passt.sock" }), net({ mac: "02:00:00:00:00:02" }), net({ mac: "02:00:00:00:00:03" })] }, ["/np/a.sock", "/np/b.sock"]);
    expect(Object.values(ann).map((v) => v.split(",")[0])).toEqual(["socket=/tmp/passt.sock", "socket=/np/a.sock", "socket=/np/b.sock"]);
  });

  it("keeps an explicit socket and numbers networks in order", () => {
    const ann = emitAnnotations({ networks: [net({ mac: "02:00:00:00:00:01", socket: "/tmp/passt.sock" }), net({ mac: "02:00:00:00:00:02", dhcp: true })] }, (i) => `/tmp/np${i}.sock`);
    expect(Object.keys(ann)).toEqual(["io.containerd.nerdbox.network.0", "io.containerd.nerdbox.network.1"]);
    expect(ann["io.containerd.nerdbox.network.0"]).toBe("socket=/tmp/passt.sock,mode=unixstream,mac=02:00:00:00:00:01");
    expect(ann["io.containerd.nerdbox.network.1"]).toBe("socket=/tmp/np1.sock,mode=unixstream,mac=02:00:00:00:00:02,dhcp=true");
  });

  it("round-trips 500 random configurations", () => {
    const r = rng(7);
    const names = Object.keys(VIRTIO_NET_FEATURES) as VirtioNetFeatureName[];
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    for (let iter = 0; iter < 500; iter++) {
      const count = 1 + Math.floor(r() * 12);
      const networks: KrunNetwork[] = [];
      for (let i = 0; i < count; i++) {
        const octets = Array.from({ length: 6 }, () => Math.floor(r() * 256));
        octets[0] = octets[0]! & 0xfe;
        const mac = octets.map((o) => o.toString(16).padStart(2, "0")).join(":");
        const addrs: string[] = [];
        if (r() < 0.6) addrs.push(`${Math.floor(r() * 224)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}/${Math.floor(r() * 33)}`);
        if (r() < 0.4) addrs.push(`fd${Math.floor(r() * 256).toString(16)}::${Math.floor(r() * 65536).toString(16)}/${Math.floor(r() * 129)}`);
        const features = names.filter(() => r() < 0.3);
        const mode = pick(["unixstream", "unixgram"] as const);
        networks.push(net({ mac, mode, dhcp: addrs.length === 0 && r() < 0.5, addrs, features, vfkit: mode === "unixgram" && r() < 0.5, vnet_hdr: r() < 0.1, socket: r() < 0.3 ? `/tmp/explicit=${i}.sock` : "" }));
      }
      const sockets = networks.filter((n) => n.socket === "").map((_, k) => `/run/np/${iter}-${k}.sock`);
      const back = roundTrip(networks, sockets);
      let k = 0;
      const want = networks.map((n) => ({ ...n, socket: n.socket || sockets[k++]!, features: names.filter((f) => n.features.includes(f)) }));
      expect(back).toEqual(want);
    }
  });

  it("refuses what an annotation cannot carry, naming the JSON path", () => {
    expect(() => emitAnnotations({ networks: [net({ mac: "01:00:5e:00:00:01" })] }, "/s")).toThrow("networks[0].mac: 01:00:5e:00:00:01 has the multicast bit set");
    expect(() => emitAnnotations({ networks: [net({ mac: "02:00:5e:10:00:00:00:01" })] }, "/s")).toThrow("networks[0].mac: 02:00:5e:10:00:00:00:01 has 8 octets; libkrun takes exactly 6");
    expect(() => emitAnnotations({ networks: [net({ mac: "02:00:00:00:00:01", addrs: ["10.0.0.2/8", "10.0.0.3/8"] })] }, "/s")).toThrow("networks[0].addrs[1]: a second IPv4 address");
    expect(() => emitAnnotations({ networks: [net({ mac: "02:00:00:00:00:01", addrs: ["10.0.0.2"] })] }, "/s")).toThrow(`networks[0].addrs[0]: netip.ParsePrefix("10.0.0.2"): no '/'`);
    expect(() => emitAnnotations({ networks: [net({ mac: "02:00:00:00:00:01", socket: "/a,b" })] })).toThrow("networks[0].socket");
    expect(() => emitAnnotations({ networks: [net({ mac: "02:00:00:00:00:01" })] })).toThrow("networks[0].socket: empty");
    expect(() => emitAnnotations({ networks: [net({ mac: "02:00:00:00:00:01" }), net({ mac: "02:00:00:00:00:02" })] }, "/one.sock")).toThrow("each NIC needs its own socket");
    expect(() => emitAnnotations({ networks: [net({ mac: "02:00:00:00:00:01" })] }, ["/a.sock", "/b.sock"])).toThrow("2 provider socket paths for 1 network(s) without a socket");
  });
});
