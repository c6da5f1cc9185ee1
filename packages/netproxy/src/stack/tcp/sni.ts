/**
 * The stack's view of a guest's first flight: is it a (complete) TLS ClientHello, and which
 * server_name does it carry? A thin adapter over the one ClientHello reader in tls/client-hello.ts,
 * so the first-flight policy decision and the interceptor always see the same SNI.
 */
import { parseClientHello } from "../../tls/client-hello.js";

/** Outcome of sniffing the first bytes. */
export type SniffResult =
  | { readonly state: "need-more" }
  | { readonly state: "done"; readonly tls: boolean; readonly sni: string | null };

const NEED_MORE: SniffResult = { state: "need-more" };

/** Inspect `b` (the first bytes of a flow). Never throws. */
export function sniffClientHello(b: Uint8Array): SniffResult {
  if (b.length === 0) return NEED_MORE;
  const r = parseClientHello(b);
  if (r.kind === "need-more") return NEED_MORE;
  if (r.kind === "not-tls") return { state: "done", tls: b[0] === 0x16 && b[1] === 0x03, sni: null };
  // Printable ASCII only; lower-cased, one trailing dot dropped (the policy canonicalizes further).
  const sni = r.sni !== undefined && /^[\x21-\x7e]+$/.test(r.sni) ? r.sni.toLowerCase().replace(/\.$/, "") : null;
  return { state: "done", tls: true, sni };
}
