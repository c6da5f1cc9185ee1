/**
 * Fuzz target for IP fragment reassembly (stack/fragments.ts): interleaved datagrams cut into
 * fragments, shuffled, duplicated, overlapped, with lying offsets/lengths/MF flags, under a fake
 * clock that sometimes jumps past the timeout.
 *
 * Properties: never throws; a datagram whose fragments all arrived untouched (and was not evicted)
 * comes out byte-identical; the table never holds more than `maxDatagrams` entries nor more than
 * `maxBytes` bytes, and its byte accounting equals the sum of what the live entries hold.
 */
import { Reassembler } from "../../../src/stack/fragments.js";
import { Rng } from "../lib/rng.js";
import { check, FuzzFailure, sameBytes, type FuzzTarget } from "../lib/target.js";

interface Frag {
  key: string;
  off: number;
  more: boolean;
  data: Uint8Array;
  clean: boolean;
}

interface Internals {
  table: Map<string, { pieces: { off: number; data: Uint8Array }[]; bytes: number; dead: boolean }>;
  totalBytes: number;
}

const fragments: FuzzTarget = {
  name: "ip-fragments",
  description: "Reassembler on shuffled, duplicated, overlapping and lying fragments of interleaved datagrams (fake clock, small bounds)",
  open(seed) {
    const rng = new Rng(seed);
    let now = 0;
    let keyN = 0;
    return {
      step() {
        const maxDatagrams = 1 + rng.int(8);
        const maxBytes = rng.pick([4096, 65536, 1 << 20]);
        const timeoutMs = 1000;
        const r = new Reassembler({ maxDatagrams, maxBytes, timeoutMs, now: () => now });
        const originals = new Map<string, Uint8Array>();
        const frags: Frag[] = [];
        for (let d = 0, n = 1 + rng.int(4); d < n; d++) {
          const key = `k${keyN++}`;
          const size = rng.chance(0.03) ? 60000 + rng.int(5535) : 1 + rng.int(4000);
          const payload = rng.bytes(size);
          originals.set(key, payload);
          const unit = 8 * (1 + rng.int(rng.chance(0.3) ? 4 : 185));
          for (let off = 0; off < size; off += unit) {
            const end = Math.min(size, off + unit);
            frags.push({ key, off, more: end < size, data: payload.subarray(off, end), clean: true });
          }
        }
        // Damage: duplicates, overlaps, lies, foreign keys.
        for (let i = 0, n = rng.int(4); i < n && frags.length; i++) {
          const f = { ...rng.pick(frags), clean: false };
          switch (rng.int(5)) {
            case 0:
              break; // exact duplicate
            case 1:
              f.off = Math.max(0, f.off + rng.range(-16, 16));
              break;
            case 2:
              f.more = !f.more;
              break;
            case 3:
              f.data = rng.bytes(rng.int(2000));
              break;
            default:
              f.off = rng.pick([65528, 65535, 0x1fff * 8, rng.int(70000)]);
          }
          frags.push(f);
        }
        // Shuffle.
        for (let i = frags.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [frags[i], frags[j]] = [frags[j]!, frags[i]!];
        }
        const touched = new Set(frags.filter((f) => !f.clean).map((f) => f.key));
        const done = new Map<string, Uint8Array>();
        for (const f of frags) {
          if (rng.chance(0.01)) now += timeoutMs + 1;
          else now += rng.int(3);
          let res;
          try {
            res = r.add(f.key, f.off, f.more, f.data);
          } catch (e) {
            throw new FuzzFailure("ip-fragments", "add threw", JSON.stringify({ seed, key: f.key, off: f.off, more: f.more, len: f.data.length }), e);
          }
          if ("done" in res) done.set(f.key, res.done);
          const st = r as unknown as Internals;
          let sum = 0;
          for (const p of st.table.values()) sum += p.bytes;
          check(st.table.size <= maxDatagrams && st.totalBytes <= maxBytes && st.totalBytes === sum && sum >= 0, "ip-fragments", `bounds: ${st.table.size}/${maxDatagrams} entries, ${st.totalBytes}/${maxBytes} bytes, accounted ${sum}`, `seed ${seed}`);
        }
        for (const [k, out] of done) {
          if (!touched.has(k)) check(sameBytes(out, originals.get(k)!), "ip-fragments", `datagram ${k} reassembled byte-identical`, `seed ${seed}`);
        }
      },
    };
  },
};

/** The fragment reassembly target. */
export const FRAGMENT_TARGETS: readonly FuzzTarget[] = [fragments];
