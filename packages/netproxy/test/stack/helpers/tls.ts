/** Builds a minimal TLS 1.2/1.3-shaped ClientHello record with an SNI extension (test input). */
export function clientHello(sni: string | null, splitRecords = false): Uint8Array {
  const name = Buffer.from(sni ?? "", "ascii");
  const exts: number[] = [];
  if (sni !== null) {
    const list = [0, name.length >> 8, name.length & 0xff, ...name];
    const ext = [list.length >> 8, list.length & 0xff, ...list];
    exts.push(0, 0, ext.length >> 8, ext.length & 0xff, ...ext);
  }
  exts.push(0x00, 0x2b, 0, 3, 2, 0x03, 0x04); // supported_versions: TLS 1.3
  const body = [
    0x03, 0x03,
    ...new Array<number>(32).fill(7),
    0,
    0, 2, 0x13, 0x01,
    1, 0,
    exts.length >> 8, exts.length & 0xff, ...exts,
  ];
  const hs = [1, 0, body.length >> 8, body.length & 0xff, ...body];
  if (!splitRecords) return Uint8Array.from([0x16, 0x03, 0x01, hs.length >> 8, hs.length & 0xff, ...hs]);
  const a = hs.slice(0, 10);
  const b = hs.slice(10);
  return Uint8Array.from([0x16, 0x03, 0x01, 0, a.length, ...a, 0x16, 0x03, 0x01, b.length >> 8, b.length & 0xff, ...b]);
}
