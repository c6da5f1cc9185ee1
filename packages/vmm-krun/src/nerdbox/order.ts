/**
 * Decision D7: nerdbox annotations are processed in the order of their key suffix — numeric
 * suffixes (`.0`, `.1`, `.10`) by value first, then every other suffix by name (byte order) — so
 * that "the first network is the default gateway" holds. Upstream ranges over a Go map (random).
 */

const NUMERIC = /^[0-9]+$/;

function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Compare two key suffixes under D7. */
export function compareSuffix(a: string, b: string): number {
  const na = NUMERIC.test(a);
  const nb = NUMERIC.test(b);
  if (na && nb) {
    const va = BigInt(a);
    const vb = BigInt(b);
    if (va !== vb) return va < vb ? -1 : 1;
    return byteCompare(a, b);
  }
  if (na !== nb) return na ? -1 : 1;
  return byteCompare(a, b);
}

/** The keys of `annotations` starting with `prefix`, in D7 order. */
export function keysWithPrefix(annotations: Record<string, string>, prefix: string): string[] {
  return Object.keys(annotations)
    .filter((k) => k.startsWith(prefix))
    .sort((a, b) => compareSuffix(a.slice(prefix.length), b.slice(prefix.length)));
}

/** Byte-order comparison of two strings (Go's sort.Strings). */
export function compareNames(a: string, b: string): number {
  return byteCompare(a, b);
}
