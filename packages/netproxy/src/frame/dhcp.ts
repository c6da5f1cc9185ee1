/**
 * DHCPv4 / BOOTP messages (RFC 2131, RFC 2132): parse requests with their options and write
 * replies. Option 52 overload is not honoured (clients do not use it in requests).
 */

/** DHCP message types (option 53). */
export const DHCP_MSG = { DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8 } as const;

/** DHCP option codes used here. */
export const DHCP_OPT = {
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  HOSTNAME: 12,
  DOMAIN_NAME: 15,
  MTU: 26,
  BROADCAST: 28,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  MSG_TYPE: 53,
  SERVER_ID: 54,
  PARAM_LIST: 55,
  RENEWAL: 58,
  REBINDING: 59,
  CLIENT_ID: 61,
  RAPID_COMMIT: 80,
  END: 255,
} as const;

const MAGIC = [99, 130, 83, 99];
const FIXED_LEN = 236;

/** A parsed BOOTREQUEST. */
export interface DhcpMessage {
  readonly op: number;
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: Uint8Array;
  readonly giaddr: Uint8Array;
  readonly chaddr: Uint8Array;
  readonly options: Map<number, Uint8Array>;
  /** Option 53, or 0 when absent. */
  readonly messageType: number;
}

/** Parse a DHCP message. Returns null for anything that is not Ethernet BOOTP with the magic cookie. */
export function parseDhcp(b: Uint8Array): DhcpMessage | null {
  if (b.length < FIXED_LEN + 4) return null;
  if (b[1] !== 1 || b[2] !== 6) return null;
  for (let i = 0; i < 4; i++) if (b[FIXED_LEN + i] !== MAGIC[i]) return null;
  const options = new Map<number, Uint8Array>();
  // Values of options seen more than once, joined after the walk: concatenating on every repeat
  // is quadratic, and a 64 KiB datagram of repeated 3-byte options then takes most of a minute.
  const repeated = new Map<number, Uint8Array[]>();
  let i = FIXED_LEN + 4;
  while (i < b.length) {
    const code = b[i]!;
    if (code === DHCP_OPT.END) break;
    if (code === 0) {
      i++;
      continue;
    }
    if (i + 1 >= b.length) return null;
    const len = b[i + 1]!;
    if (i + 2 + len > b.length) return null;
    const val = b.subarray(i + 2, i + 2 + len);
    const parts = repeated.get(code);
    if (parts) parts.push(val);
    else if (options.has(code)) repeated.set(code, [options.get(code)!, val]);
    else options.set(code, val);
    i += 2 + len;
  }
  // RFC 3396: repeated options are concatenated.
  for (const [code, parts] of repeated) {
    let n = 0;
    for (const p of parts) n += p.length;
    const joined = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      joined.set(p, o);
      o += p.length;
    }
    options.set(code, joined);
  }
  const mt = options.get(DHCP_OPT.MSG_TYPE);
  return {
    op: b[0]!,
    xid: ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0,
    secs: (b[8]! << 8) | b[9]!,
    flags: (b[10]! << 8) | b[11]!,
    ciaddr: b.subarray(12, 16),
    giaddr: b.subarray(24, 28),
    chaddr: b.subarray(28, 34),
    options,
    messageType: mt && mt.length === 1 ? mt[0]! : 0,
  };
}

/** A BOOTREPLY to encode. Options are written in the given order, then END. */
export interface DhcpReply {
  readonly xid: number;
  readonly flags: number;
  readonly ciaddr: Uint8Array;
  readonly yiaddr: Uint8Array;
  readonly siaddr: Uint8Array;
  readonly giaddr: Uint8Array;
  readonly chaddr: Uint8Array;
  readonly options: ReadonlyArray<readonly [number, Uint8Array]>;
}

/** Encode a BOOTREPLY, padded to the 300-byte BOOTP minimum. */
export function buildDhcpReply(r: DhcpReply): Uint8Array {
  let optLen = 1;
  for (const [, v] of r.options) optLen += 2 + v.length;
  const out = new Uint8Array(Math.max(300, FIXED_LEN + 4 + optLen));
  out[0] = 2;
  out[1] = 1;
  out[2] = 6;
  out[4] = (r.xid >>> 24) & 0xff;
  out[5] = (r.xid >>> 16) & 0xff;
  out[6] = (r.xid >>> 8) & 0xff;
  out[7] = r.xid & 0xff;
  out[10] = (r.flags >>> 8) & 0xff;
  out[11] = r.flags & 0xff;
  out.set(r.ciaddr.subarray(0, 4), 12);
  out.set(r.yiaddr.subarray(0, 4), 16);
  out.set(r.siaddr.subarray(0, 4), 20);
  out.set(r.giaddr.subarray(0, 4), 24);
  out.set(r.chaddr.subarray(0, 6), 28);
  out.set(MAGIC, FIXED_LEN);
  let i = FIXED_LEN + 4;
  for (const [code, v] of r.options) {
    out[i] = code;
    out[i + 1] = v.length;
    out.set(v, i + 2);
    i += 2 + v.length;
  }
  out[i] = DHCP_OPT.END;
  return out;
}
