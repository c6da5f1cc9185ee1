/**
 * The datagram transport (QEMU `-netdev dgram`, libkrun unixgram, gvproxy `-listen-vfkit`,
 * vmnet-helper): one bare Ethernet frame per AF_UNIX datagram. Node core cannot open such sockets,
 * so the native helper owns the socket (binding the path, peer locking, the optional `VFKT`
 * first datagram) and relays frames to us over a stream socketpair.
 */
import { startHelper, type HelperStatus } from "./native-helper.js";
import type { StreamLink, StreamLinkOptions } from "./stream-link.js";

/** Options for the datagram endpoints. */
export interface DgramOptions extends StreamLinkOptions {
  /** Status lines from the helper: `peer` (the locked peer's path), `ignored`, `warning`. */
  onStatus?: (s: HelperStatus) => void;
}

/** A datagram link plus the helper's view of its peer. */
export interface DgramLink {
  readonly link: StreamLink;
  /** Path of the locked peer once the first datagram arrived, else undefined. */
  peer(): string | undefined;
}

/**
 * Bind an AF_UNIX datagram socket at `path` (a stale socket file is replaced) and relay frames.
 * The first sender with a bound address becomes the peer; later senders are ignored. A first
 * datagram of exactly `VFKT` is consumed. Until a peer is known, frames sent to it are dropped.
 */
export async function listenUnixDgram(path: string, opts: DgramOptions = {}): Promise<DgramLink> {
  let peer: string | undefined;
  const h = await startHelper(["dgram-listen", path], {
    ...opts,
    name: opts.name ?? `dgram:unix:${path}`,
    onStatus: (s) => {
      if (s.event === "peer") peer = s.path;
      opts.onStatus?.(s);
    },
  });
  return { link: h.link, peer: () => peer };
}

/** Relay frames on an inherited, already connected datagram socket fd (e.g. a socketpair end). */
export async function dgramFromFd(fd: number, opts: DgramOptions = {}): Promise<DgramLink> {
  if (!Number.isInteger(fd) || fd < 0) throw new Error(`dgram:fd:${fd}: expected a non-negative integer file descriptor`);
  const h = await startHelper(["dgram-fd", "4"], { ...opts, extraFds: [fd], name: opts.name ?? `dgram:fd:${fd}` });
  return { link: h.link, peer: () => undefined };
}
