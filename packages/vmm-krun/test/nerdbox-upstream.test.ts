/**
 * nerdbox's own unit-test cases that are not in the public vectors (ctrnetworking_test.go,
 * networking_test.go, pkg/vminit/initd/networking_test.go), plus guest-side error texts.
 */
import { describe, expect, it } from "vitest";
import { parseCtrNetwork, ctrNetworkToJSON, ctrResolvConf } from "../src/nerdbox/ctr-network.js";
import { parseNetwork, networkToJSON } from "../src/nerdbox/network.js";
import { parseGuestArg, guestView } from "../src/nerdbox/guest.js";
import { runNerdboxProbe } from "../src/nerdbox/probe.js";

describe("ctr network (TestParseCtrNetwork)", () => {
  const cases: [string, string | object][] = [
    ["vmmac=fa:43:25:5d:6f:b4", { vmMAC: "fa:43:25:5d:6f:b4" }],
    ["mac=fa:43:25:5d:6f:b5", "'vmmac' is missing"],
    ["vmmac=fa:43:25:5d:6f:b4,vmmac=fa:43:25:5d:6f:b5", "multiple VM MAC addresses specified"],
    ["vmmac=fa:43:25:5d:6f:b4,mac=not-a-mac", "parsing container MAC address: address not-a-mac: invalid MAC address"],
    ["vmmac=fa:43:25:5d:6f:b4,mac=fa:43:25:5d:6f:b5,mac=fa:43:25:5d:6f:b6", "multiple container MAC addresses specified"],
    ["vmmac=fa:43:25:5d:6f:b4,gw=not-an-addr", `parsing gateway address: ParseAddr("not-an-addr"): unable to parse IP`],
    ["vmmac", "invalid container network field: vmmac"],
    ["vmmac=fa:43:25:5d:6f:b4,addr=10.0.0.2/8,addr=fd00::2/64,addr=10.0.0.3/8", { vmMAC: "fa:43:25:5d:6f:b4", addrs: ["10.0.0.2/8", "fd00::2/64", "10.0.0.3/8"] }],
    ["vmmac=fa:43:25:5d:6f:b4,ifname=xxxxxxxxxxxxxxx", { vmMAC: "fa:43:25:5d:6f:b4", ifName: "xxxxxxxxxxxxxxx" }],
  ];
  for (const [input, want] of cases) {
    it(input, () => {
      if (typeof want === "string") expect(() => parseCtrNetwork(input)).toThrow(want);
      else expect(ctrNetworkToJSON(parseCtrNetwork(input))).toEqual(want);
    });
  }
  it("ctr.dns becomes resolv.conf lines", () => {
    expect(ctrResolvConf("nameserver=8.8.8.8,search=example.com,rotate")).toBe("nameserver 8.8.8.8\nsearch example.com\nrotate\n");
  });
  it("wraps ctr errors and strips ctr + dns annotations, keeping the rest", () => {
    expect(runNerdboxProbe({ kind: "nerdbox_annotations", annotations: { "io.containerd.nerdbox.ctr.network.0": "mac=not-a-mac" } })).toEqual({
      error: "failed to parse container network annotation: parsing container MAC address: address not-a-mac: invalid MAC address",
    });
    const r = runNerdboxProbe({
      kind: "nerdbox_annotations",
      annotations: { "io.containerd.nerdbox.other": "unrelated", "io.containerd.nerdbox.ctr.network.0": "vmmac=fa:43:25:5d:6f:b4", "io.containerd.nerdbox.ctr.dns": "nameserver=8.8.8.8" },
    }) as unknown as Record<string, unknown>;
    expect(r.strippedAnnotations).toEqual(["io.containerd.nerdbox.ctr.network.0", "io.containerd.nerdbox.ctr.dns"]);
    expect(r.keptAnnotations).toEqual(["io.containerd.nerdbox.other"]);
    expect(r.ctrResolvConf).toBe("nameserver 8.8.8.8\n");
  });
});

describe("VM network (TestParseNetwork cases not in the vectors)", () => {
  it("invalid and multicast MAC, dual stack, duplicate IPv6, unknown field, vfkit+vnet_hdr", () => {
    expect(() => parseNetwork("socket=/tmp/net.sock,mode=unixgram,mac=not-a-mac")).toThrow("parsing MAC address: address not-a-mac: invalid MAC address");
    expect(() => parseNetwork("socket=/tmp/net.sock,mode=unixgram,mac=ff:43:25:5d:6f:b4")).toThrow("invalid MAC address: multicast bit is set");
    expect(networkToJSON(parseNetwork("socket=/tmp/net.sock,mode=unixgram,mac=fa:43:25:5d:6f:b4,addr=192.168.127.2/24,addr=fd00::2/64"))).toMatchObject({ addr4: "192.168.127.2/24", addr6: "fd00::2/64" });
    expect(() => parseNetwork("socket=/tmp/net.sock,mode=unixgram,mac=fa:43:25:5d:6f:b4,addr=fd00::2/64,addr=fd00::3/64")).toThrow("multiple IPv6 addresses specified");
    expect(() => parseNetwork("socket=/tmp/net.sock,mode=unixgram,mac=fa:43:25:5d:6f:b4,bogus=1")).toThrow("unknown network field: bogus");
    expect(() => parseNetwork("")).toThrow("invalid network field: ");
    expect(() => parseNetwork("socket=/a,mode=unixgram,mac=fa:43:25:5d:6f:b4,")).toThrow(/^invalid network field: $/);
    expect(networkToJSON(parseNetwork("socket=/tmp/net.sock,mode=unixstream,mac=fa:43:25:5d:6f:b4,vfkit=true,vnet_hdr=true"))).toMatchObject({ vfkit: true, vnetHdr: true });
    expect(networkToJSON(parseNetwork("socket=/x,mode=unixgram,mac=fa:43:25:5d:6f:b4,addr=::ffff:10.0.0.2/120"))).toMatchObject({ addr4: null, addr6: "::ffff:10.0.0.2/120" });
  });

  it("TestNetworksProviderSandboxOptions/InitArgs: flags 3 on unixstream, upstream libkrun says -22, guest rejects dhcp+addr", () => {
    const r = runNerdboxProbe({
      kind: "nerdbox_annotations",
      annotations: {
        "io.containerd.nerdbox.network.0": "socket=/tmp/a.sock,mode=unixstream,mac=fa:43:25:5d:6f:b4,vfkit=true,vnet_hdr=true,dhcp=true,addr=192.168.127.2/24",
        "io.containerd.nerdbox.network.1": "socket=/tmp/b.sock,mode=unixgram,mac=fa:43:25:5d:6f:b5",
      },
    }) as unknown as Record<string, unknown>;
    expect(r.libkrun).toEqual([
      { fn: "krun_add_net_unixstream", c_path: "/tmp/a.sock", fd: -1, mac: "fa:43:25:5d:6f:b4", features: 0, flags: 3 },
      { fn: "krun_add_net_unixgram", c_path: "/tmp/b.sock", fd: -1, mac: "fa:43:25:5d:6f:b5", features: 0, flags: 0 },
    ]);
    expect(r.initArgs).toEqual(["-network=mac=fa:43:25:5d:6f:b4,dhcp=true,addr=192.168.127.2/24", "-network=mac=fa:43:25:5d:6f:b5"]);
    expect(r.libkrunResult).toBe(-22);
    expect(r.guestError).toBe('vminitd -network flag rejects it: invalid network "mac=fa:43:25:5d:6f:b4,dhcp=true,addr=192.168.127.2/24": cannot specify both addr and dhcp');
  });
});

describe("guest -network flag (vminitd)", () => {
  it("guestSetup: default route from the first network that has one, one nameserver per network", () => {
    const r = runNerdboxProbe({
      kind: "nerdbox_annotations",
      annotations: {
        "io.containerd.nerdbox.network.0": "socket=/a,mode=unixgram,mac=fa:43:25:5d:6f:b4",
        "io.containerd.nerdbox.network.1": "socket=/b,mode=unixgram,mac=fa:43:25:5d:6f:b5,dhcp=true",
        "io.containerd.nerdbox.network.2": "socket=/c,mode=unixgram,mac=fa:43:25:5d:6f:b6,addr=fd00::5/64",
      },
    }) as unknown as Record<string, unknown>;
    expect(r.gateway).toBe("first DHCP option-3 router");
    expect(r.resolvConf).toBe("nameserver <router> (DHCP option 6 is ignored)\nnameserver fd00::1\n");
  });

  it("ipv4 only: gateway is network+1, resolv.conf names it", () => {
    expect(guestView(parseGuestArg("mac=72:e2:03:9b:d8:0d,addr=172.17.0.2/16"))).toEqual({
      mac: "72:e2:03:9b:d8:0d", addr4: "172.17.0.2/16", addr6: null, dhcp: false, gateway: "172.17.0.1",
      resolvConf: "nameserver 172.17.0.1\n", roundTrip: "mac=72:e2:03:9b:d8:0d,addr=172.17.0.2/16",
    });
  });
  it("/31 gives .3 for .2, L2-only has no gateway, /32 of the last address has none either", () => {
    expect(guestView(parseGuestArg("mac=72:e2:03:9b:d8:0d,addr=192.168.127.2/31")).gateway).toBe("192.168.127.3");
    expect(guestView(parseGuestArg("mac=72:e2:03:9b:d8:0d"))).toMatchObject({ gateway: null, resolvConf: "" });
    expect(guestView(parseGuestArg("mac=72:e2:03:9b:d8:0d,addr=255.255.255.255/32")).gateway).toBeNull();
  });
  it("error texts", () => {
    expect(() => parseGuestArg("mac=72:e2:03:9b:d8:0d,addr=1.2.3.4/8=x")).toThrow('invalid network "mac=72:e2:03:9b:d8:0d,addr=1.2.3.4/8=x": expected format: mac=<mac>,[addr=<addr>|dhcp=<dhcp>]');
    expect(() => parseGuestArg("addr=1.2.3.4/8")).toThrow('invalid network "addr=1.2.3.4/8": must specify MAC address');
    expect(() => parseGuestArg("mac=72:e2:03:9b:d8:0d,foo=1")).toThrow('invalid network "mac=72:e2:03:9b:d8:0d,foo=1": unknown field "foo"');
    expect(() => parseGuestArg("mac=zz")).toThrow("invalid MAC address: address zz: invalid MAC address");
    expect(() => parseGuestArg("mac=72:e2:03:9b:d8:0d,dhcp=yes")).toThrow('invalid DHCP field: strconv.ParseBool: parsing "yes": invalid syntax');
    expect(runNerdboxProbe({ kind: "nerdbox_guest_arg", guest_arg: "mac=72:e2:03:9b:d8:0d,addr=1.2.3.4" })).toEqual({
      error: `invalid IP address: netip.ParsePrefix("1.2.3.4"): no '/'`,
    });
  });
});
