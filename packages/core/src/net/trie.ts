/**
 * Binary prefix tries for IPv4 (uint32 keys) and IPv6 (16-byte keys). Each stored prefix carries a
 * list of integer values (rule indices); a lookup visits the prefixes containing an address from
 * the shortest to the longest. Nodes live in typed arrays so a walk does not allocate.
 */
import { v4Mask } from "./cidr.js";

const INITIAL = 64;

/** Common node storage: child links and a slot number per node (-1 = nothing stored here). */
abstract class BitTrie {
  /** Left (0-bit) child per node, -1 when absent. */
  left = new Int32Array(INITIAL).fill(-1);
  /** Right (1-bit) child per node, -1 when absent. */
  right = new Int32Array(INITIAL).fill(-1);
  /** Slot index (into {@link values}) per node, -1 when no prefix ends at the node. */
  slot = new Int32Array(INITIAL).fill(-1);
  /** The values stored per slot, in insertion order. */
  readonly values: number[][] = [];
  /** Number of nodes in use (node 0 is the root). */
  nodes = 1;

  protected grow(): void {
    const cap = this.left.length * 2;
    const l = new Int32Array(cap).fill(-1);
    const r = new Int32Array(cap).fill(-1);
    const s = new Int32Array(cap).fill(-1);
    l.set(this.left);
    r.set(this.right);
    s.set(this.slot);
    this.left = l;
    this.right = r;
    this.slot = s;
  }

  protected child(node: number, bit: number): number {
    const arr = bit ? this.right : this.left;
    let c = arr[node]!;
    if (c < 0) {
      if (this.nodes >= this.left.length) this.grow();
      c = this.nodes++;
      (bit ? this.right : this.left)[node] = c;
    }
    return c;
  }

  protected store(node: number, value: number): void {
    let s = this.slot[node]!;
    if (s < 0) {
      s = this.values.length;
      this.values.push([]);
      this.slot[node] = s;
    }
    this.values[s]!.push(value);
  }

  /** True when nothing has been inserted. */
  get empty(): boolean {
    return this.values.length === 0;
  }
}

/** Prefix trie over IPv4 addresses. */
export class PrefixTrie4 extends BitTrie {
  /** Stores `value` under `v4/prefix` (host bits are ignored). */
  insert(v4: number, prefix: number, value: number): void {
    const key = (v4 & v4Mask(prefix)) >>> 0;
    let node = 0;
    for (let i = 0; i < prefix; i++) node = this.child(node, (key >>> (31 - i)) & 1);
    this.store(node, value);
  }

  /** Slots of every stored prefix containing `v4`, shortest first. */
  slotsFor(v4: number): number[] {
    const out: number[] = [];
    let node = 0;
    let bit = 31;
    while (node >= 0) {
      const s = this.slot[node]!;
      if (s >= 0) out.push(s);
      if (bit < 0) break;
      node = ((v4 >>> bit) & 1) === 1 ? this.right[node]! : this.left[node]!;
      bit--;
    }
    return out;
  }

  /** The lowest value stored under any prefix containing `v4`, or -1. */
  lowest(v4: number): number {
    let best = -1;
    let node = 0;
    let bit = 31;
    while (node >= 0) {
      const s = this.slot[node]!;
      if (s >= 0) for (const v of this.values[s]!) if (best < 0 || v < best) best = v;
      if (bit < 0) break;
      node = ((v4 >>> bit) & 1) === 1 ? this.right[node]! : this.left[node]!;
      bit--;
    }
    return best;
  }
}

/** Prefix trie over IPv6 addresses (16 bytes, network order). */
export class PrefixTrie6 extends BitTrie {
  /** Stores `value` under `v6/prefix`. */
  insert(v6: Uint8Array, prefix: number, value: number): void {
    let node = 0;
    for (let i = 0; i < prefix; i++) node = this.child(node, (v6[i >> 3]! >> (7 - (i & 7))) & 1);
    this.store(node, value);
  }

  /** Slots of every stored prefix containing `v6`, shortest first. */
  slotsFor(v6: Uint8Array): number[] {
    const out: number[] = [];
    let node = 0;
    let i = 0;
    while (node >= 0) {
      const s = this.slot[node]!;
      if (s >= 0) out.push(s);
      if (i >= 128) break;
      node = ((v6[i >> 3]! >> (7 - (i & 7))) & 1) === 1 ? this.right[node]! : this.left[node]!;
      i++;
    }
    return out;
  }

  /** The lowest value stored under any prefix containing `v6`, or -1. */
  lowest(v6: Uint8Array): number {
    let best = -1;
    for (const s of this.slotsFor(v6)) for (const v of this.values[s]!) if (best < 0 || v < best) best = v;
    return best;
  }
}
