/**
 * Opens the transport named by a {@link ListenSpec} and yields the guest's {@link FrameLink} once
 * the guest side is attached (a peer connected, or immediately for fd / dgram / netns forms).
 */
import { dgramFromFd, listenUnixDgram } from "./dgram-endpoints.js";
import { formatListen, type ListenSpec } from "./listen-spec.js";
import type { HelperStatus } from "./native-helper.js";
import { connectUnixStream, listenTcpStream, listenUnixStream, streamFromFd } from "./stream-endpoints.js";
import type { ObservableLink, StreamLinkOptions } from "./stream-link.js";
import { openTapInNetns, type TapConfig } from "./tap-netns.js";

/** Options for {@link openListen}. */
export interface OpenListenOptions extends StreamLinkOptions {
  /** netns mode: how to configure the TAP (everything but the namespace path). */
  tap?: Omit<TapConfig, "netns">;
  /** Status lines from the native helper (dgram peer locking, warnings). */
  onStatus?: (s: HelperStatus) => void;
}

/** An opened transport. */
export interface OpenedListen {
  /** Canonical text of the transport (with the bound TCP port filled in). */
  readonly address: string;
  /** Resolves once the guest side is attached. */
  readonly link: Promise<ObservableLink>;
  /** Stop waiting for a peer (listeners only); an attached link is closed separately. */
  close(): Promise<void>;
}

/** Open a transport. Listening forms resolve as soon as they listen; `link` waits for the peer. */
export async function openListen(spec: ListenSpec, opts: OpenListenOptions = {}): Promise<OpenedListen> {
  const none = async () => {};
  switch (spec.kind) {
    case "stream-unix": {
      const p = await listenUnixStream(spec.path, opts);
      return { address: p.address, link: p.link, close: p.close };
    }
    case "stream-connect-unix":
      return { address: formatListen(spec), link: connectUnixStream(spec.path, opts), close: none };
    case "tcp": {
      const p = await listenTcpStream(spec.host, spec.port, opts);
      return { address: formatListen({ ...spec, port: p.port ?? spec.port }), link: p.link, close: p.close };
    }
    case "fd":
      return { address: formatListen(spec), link: Promise.resolve(streamFromFd(spec.fd, opts)), close: none };
    case "dgram-unix": {
      const d = await listenUnixDgram(spec.path, opts);
      return { address: formatListen(spec), link: Promise.resolve(d.link), close: none };
    }
    case "dgram-fd": {
      const d = await dgramFromFd(spec.fd, opts);
      return { address: formatListen(spec), link: Promise.resolve(d.link), close: none };
    }
    case "netns": {
      const link = await openTapInNetns({ ...opts.tap, netns: spec.path }, opts);
      return { address: formatListen(spec), link: Promise.resolve(link), close: none };
    }
  }
}
