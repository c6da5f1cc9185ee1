/**
 * Fuzz target for the nerdbox annotation parser: `fromAnnotations` (a bundle's annotation map)
 * and `parseNetwork` (one `io.containerd.nerdbox.network.*` value). Seeds are the shared nerdbox
 * vectors' annotation maps and generated annotations (socket, mode, mac, dhcp, addr, features,
 * vfkit, vnet_hdr, valid and invalid values); string mutations insert separators (`,` `=` `|`
 * `:` `/`), duplicate and drop fields, and grow values.
 *
 * Properties: `parseNetwork` throws only GoError and `fromAnnotations` only NerdboxAnnotationError
 * (nerdbox's exact error texts); a parsed network re-spelled as an annotation parses to the same
 * network (`networkToJSON` equal); every annotation key ends up either stripped or kept.
 * The target follows @sandbox/fuzz-kit's FuzzTarget shape (the one bench/fuzz/run.ts drives).
 */
import { existsSync, readFileSync } from "node:fs";
import { Choice, FuzzFailure, type FuzzTarget } from "@sandbox/fuzz-kit";
import { fileURLToPath } from "node:url";
import { fromAnnotations, NerdboxAnnotationError, NETWORK_ANNOTATION_PREFIX, CTR_NETWORK_ANNOTATION_PREFIX, CTR_DNS_ANNOTATION } from "../../src/nerdbox/bundle.js";
import { parseNetwork, networkToJSON } from "../../src/nerdbox/network.js";
import { featureNames } from "../../src/nerdbox/features.js";
import { GoError } from "../../src/go/strconv.js";

/** A property violation of this target, with its input. */
function failure(property: string, input: unknown, cause?: unknown): FuzzFailure {
  return new FuzzFailure("nerdbox-annotations", property, input, cause);
}

function vectorAnnotations(): Record<string, string>[] {
  const rel = fileURLToPath(new URL("../../../../../shared/vectors/nerdbox.json", import.meta.url));
  const file = existsSync(rel) ? rel : "/work/shared/vectors/nerdbox.json";
  if (!existsSync(file)) return [];
  const vs = JSON.parse(readFileSync(file, "utf8")) as { probe: { annotations?: Record<string, string> } }[];
  return vs.flatMap((v) => (v.probe.annotations ? [v.probe.annotations] : []));
}

const FIELD_VALUES: Record<string, string[]> = {
  socket: ["/tmp/net.sock", "/run/a b.sock", "", "relative.sock", "/x/" + "s".repeat(200)],
  mode: ["unixgram", "unixstream", "tcp", "UNIXGRAM", ""],
  mac: ["fa:43:25:5d:6f:b4", "02:00:00:00:00:01", "01:00:5e:00:00:01", "fa-43-25-5d-6f-b4", "fa43.255d.6fb4", "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01", "zz:zz:zz:zz:zz:zz", "fa:43:25:5d:6f"],
  dhcp: ["true", "false", "1", "0", "t", "F", "TRUE", "maybe", ""],
  addr: ["10.0.0.2/24", "192.168.1.5/32", "fd00::2/64", "::ffff:10.0.0.1/120", "10.0.0.2", "10.0.0.2/33", "1.2.3.4/-1", "fe80::1%eth0/64"],
  features: ["VIRTIO_NET_F_CSUM", "VIRTIO_NET_F_CSUM|VIRTIO_NET_F_GUEST_TSO4", "VIRTIO_NET_F_BOGUS", "", "|", "toString", "__proto__"],
  vfkit: ["true", "false", "yes"],
  vnet_hdr: ["true", "false", "2"],
};
const FIELDS = Object.keys(FIELD_VALUES);

function generatedValue(ch: Choice): string {
  const fields: string[] = [];
  const required = ["socket", "mode", "mac"];
  for (const f of required) if (ch.int(10) > 0) fields.push(`${f}=${ch.int(5) > 0 ? FIELD_VALUES[f]![ch.int(2)]! : ch.pick(FIELD_VALUES[f]!)}`);
  for (let i = 0, n = ch.int(5); i < n; i++) {
    const f = ch.int(15) === 0 ? ch.pick(["bogus", "Socket", " mode", ""]) : ch.pick(FIELDS);
    fields.push(`${f}=${ch.pick(FIELD_VALUES[f] ?? ["x"])}`);
  }
  for (let i = fields.length - 1; i > 0; i--) {
    const j = ch.int(i + 1);
    [fields[i], fields[j]] = [fields[j]!, fields[i]!];
  }
  return fields.join(",");
}

function mutateString(s: string, ch: Choice): string {
  let out = s;
  for (let i = 0, n = 1 + ch.int(3); i < n; i++) {
    const at = ch.int(out.length + 1);
    switch (ch.int(5)) {
      case 0:
        out = out.slice(0, at) + ch.pick([",", "=", "|", ":", "/", ",,", "==", "\u0000", "é", " "]) + out.slice(at);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at + 1 + ch.int(6));
        break;
      case 2:
        out = out + "," + out.split(",")[ch.int(out.split(",").length)]!;
        break;
      case 3:
        out = out.slice(0, at) + "9".repeat(1 + ch.int(ch.int(10) === 0 ? 5000 : 20)) + out.slice(at);
        break;
      default:
        out = out.slice(0, at) + String.fromCharCode(ch.int(128)) + out.slice(at + 1);
    }
  }
  return out;
}

function spell(n: ReturnType<typeof networkToJSON>): string {
  const f = [`socket=${n.socket}`, `mode=${n.mode}`, `mac=${n.mac}`, `dhcp=${n.dhcp}`, `vfkit=${n.vfkit}`, `vnet_hdr=${n.vnetHdr}`];
  if (n.addr4) f.push(`addr=${n.addr4}`);
  if (n.addr6) f.push(`addr=${n.addr6}`);
  const names = featureNames(n.features);
  if (names.length) f.push(`features=${names.join("|")}`);
  return f.join(",");
}

const annotations: FuzzTarget = {
  name: "nerdbox-annotations",
  description: "fromAnnotations / parseNetwork on vector and generated annotations and their string mutations: only nerdbox's errors; parsed networks re-spell to the same network",
  open(seed) {
    const ch = new Choice(seed);
    const maps = vectorAnnotations();
    const counts = { parsed: 0, goError: 0, bundles: 0, bundleErrors: 0 };
    return {
      step() {
        const value = ch.int(3) === 0 ? mutateString(generatedValue(ch), ch) : generatedValue(ch);
        let net;
        try {
          net = parseNetwork(value);
          counts.parsed++;
        } catch (e) {
          if (!(e instanceof GoError)) throw failure("parseNetwork threw something other than GoError", value, e);
          counts.goError++;
        }
        if (net) {
          const json = networkToJSON(net);
          if (!json.socket.includes(",")) {
            let again;
            try {
              again = networkToJSON(parseNetwork(spell(json)));
            } catch (e) {
              throw failure(`re-spelled network did not parse: ${spell(json)}`, value, e);
            }
            if (JSON.stringify(again) !== JSON.stringify(json)) throw failure(`re-spelled network differs: ${JSON.stringify(again)} vs ${JSON.stringify(json)}`, value);
          }
        }
        // A whole bundle: vector maps, extra keys, mutated values.
        const base: Record<string, string> = maps.length && ch.int(2) ? { ...ch.pick(maps) } : {};
        for (let i = 0, n = ch.int(4); i < n; i++) {
          const key = ch.pick([NETWORK_ANNOTATION_PREFIX + ch.int(12), CTR_NETWORK_ANNOTATION_PREFIX + ch.int(3), CTR_DNS_ANNOTATION, "io.containerd.other", NETWORK_ANNOTATION_PREFIX, "__proto__"]);
          Object.defineProperty(base, key, { value: ch.int(2) ? value : mutateString(ch.pick(Object.values(base).concat([value])), ch), enumerable: true, writable: true, configurable: true });
        }
        for (const k of Object.keys(base)) if (ch.int(8) === 0) base[k] = mutateString(base[k]!, ch);
        try {
          const b = fromAnnotations(base);
          counts.bundles++;
          const all = new Set([...b.stripped, ...b.kept]);
          if (all.size !== Object.keys(base).length || !Object.keys(base).every((k) => all.has(k))) throw failure("keys neither stripped nor kept", base);
        } catch (e) {
          if (e instanceof FuzzFailure) throw e;
          if (!(e instanceof NerdboxAnnotationError)) throw failure("fromAnnotations threw something other than NerdboxAnnotationError", base, e);
          counts.bundleErrors++;
        }
      },
      stats: () => ({ ...counts }),
    };
  },
};

/** The vmm-krun targets. */
export const KRUN_TARGETS: readonly FuzzTarget[] = [annotations];
