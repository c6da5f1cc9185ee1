/**
 * A label trie over canonical domain names, keyed from the rightmost label. Stores exact-domain
 * values and suffix values; a lookup returns, in ascending order, every value whose domain equals
 * the name or whose suffix is a strict (label-aligned) parent of the name (D1: no apex).
 */

interface LabelNode {
  children: Map<string, LabelNode> | null;
  exact: number[] | null;
  suffix: number[] | null;
}

function node(): LabelNode {
  return { children: null, exact: null, suffix: null };
}

const NO_VALUES = new Int32Array(0);

/** Label trie mapping domain names and suffixes to integer values (rule indices). */
export class LabelTrie {
  private readonly root: LabelNode = node();
  private size = 0;
  private readonly memo = new Map<string, Int32Array>();
  private readonly memoLimit: number;

  /** @param memoLimit how many distinct looked-up names to remember (cleared when full). */
  constructor(memoLimit = 4096) {
    this.memoLimit = memoLimit;
  }

  /** Number of stored values. */
  get count(): number {
    return this.size;
  }

  private walkCreate(name: string): LabelNode {
    const labels = name.split(".");
    let n = this.root;
    for (let i = labels.length - 1; i >= 0; i--) {
      const l = labels[i]!;
      n.children ??= new Map();
      let c = n.children.get(l);
      if (c === undefined) {
        c = node();
        n.children.set(l, c);
      }
      n = c;
    }
    return n;
  }

  /** Adds an exact-domain value (canonical name). */
  addExact(name: string, value: number): void {
    const n = this.walkCreate(name);
    (n.exact ??= []).push(value);
    this.size++;
    this.memo.clear();
  }

  /** Adds a suffix value: matches strict subdomains of `name` only. */
  addSuffix(name: string, value: number): void {
    const n = this.walkCreate(name);
    (n.suffix ??= []).push(value);
    this.size++;
    this.memo.clear();
  }

  /**
   * Values matching the canonical `name`, ascending. The result is memoized per name and shared:
   * callers must not modify it.
   */
  lookup(name: string): Int32Array {
    const hit = this.memo.get(name);
    if (hit !== undefined) return hit;
    const out: number[] = [];
    let n: LabelNode | undefined = this.root;
    let end = name.length;
    while (n !== undefined) {
      if (end < 0) {
        if (n.exact !== null) out.push(...n.exact);
        break;
      }
      // Labels remain to the left of this node: suffix values here match (strict subdomain).
      if (n !== this.root && n.suffix !== null) out.push(...n.suffix);
      if (n.children === null) break;
      const dot = name.lastIndexOf(".", end - 1);
      const label = name.slice(dot + 1, end);
      n = n.children.get(label);
      end = dot; // -1 when the leftmost label was consumed
    }
    // Most looked-up names match nothing: they share one empty result and take no memo slot.
    if (out.length === 0) return NO_VALUES;
    const arr = Int32Array.from(out).sort();
    if (this.memo.size >= this.memoLimit) this.memo.clear();
    this.memo.set(name, arr);
    return arr;
  }
}
