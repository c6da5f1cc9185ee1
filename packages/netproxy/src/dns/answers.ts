/**
 * Reading what an upstream answer says about addresses: every A/AAAA in the answer section (for
 * rebind protection) and the addresses reached from the query name through a CNAME chain, with
 * the minimum TTL (for the resolved-name cache, semantics §1.9).
 */
import { ipFromBytes, type IpAddr } from "@sandbox/core";
import { readName, RR, type WireMessage } from "./wire.js";

/** Every A (4-byte) and AAAA (16-byte) address in the answer section, in order. */
export function allAnswerAddresses(msg: WireMessage): IpAddr[] {
  const out: IpAddr[] = [];
  for (const r of msg.answers) {
    if ((r.type === RR.A && r.rdataLength === 4) || (r.type === RR.AAAA && r.rdataLength === 16)) {
      out.push(ipFromBytes(msg.bytes.subarray(r.rdataOffset, r.rdataOffset + r.rdataLength)));
    }
  }
  return out;
}

/** What the cache learns from one answer. */
export interface ChainAddresses {
  readonly ips: IpAddr[];
  /** Minimum TTL over the CNAME and address records used, floored at 1 s; 0 when no ips. */
  readonly ttlSecs: number;
}

/**
 * The addresses of type `qtype` owned by `qname` or by a name reached from it through CNAME
 * records in the same answer section; unrelated records are ignored. Chains are followed at most
 * 16 hops and never revisit a name.
 */
export function chainAddresses(msg: WireMessage, qname: string, qtype: number): ChainAddresses {
  const want = qtype === RR.A ? 4 : 16;
  const owners = new Set<string>([qname]);
  let minTtl = Number.POSITIVE_INFINITY;
  let current = qname;
  for (let hop = 0; hop < 16; hop++) {
    const cname = msg.answers.find((r) => r.type === RR.CNAME && r.name.text === current);
    if (!cname) break;
    const target = readName(msg.bytes, cname.rdataOffset);
    if (!target || target.next > cname.rdataOffset + cname.rdataLength) break;
    if (owners.has(target.name.text)) break;
    minTtl = Math.min(minTtl, cname.ttl);
    owners.add(target.name.text);
    current = target.name.text;
  }
  const ips: IpAddr[] = [];
  let addrTtl = Number.POSITIVE_INFINITY;
  for (const r of msg.answers) {
    if (r.type !== qtype || r.rdataLength !== want || !owners.has(r.name.text)) continue;
    ips.push(ipFromBytes(msg.bytes.subarray(r.rdataOffset, r.rdataOffset + want)));
    addrTtl = Math.min(addrTtl, r.ttl);
  }
  if (ips.length === 0) return { ips, ttlSecs: 0 };
  return { ips, ttlSecs: Math.max(1, Math.min(minTtl, addrTtl)) };
}
