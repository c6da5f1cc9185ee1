/**
 * Ways to obtain a stream-backed {@link StreamLink}: listen on a unix path or a TCP address and
 * accept exactly one peer (as passt and gvproxy `-listen-qemu` do), or wrap an inherited fd (one
 * end of a socketpair handed to QEMU `addr.type=fd` or libkrun `krun_add_net_unixstream(fd)`).
 */
import { existsSync, lstatSync, unlinkSync } from "node:fs";
import { createServer, Socket, type Server } from "node:net";
import { StreamLink, type StreamLinkOptions } from "./stream-link.js";

/** A listening endpoint waiting for its single peer. */
export interface PendingLink<L> {
  /** Where it listens, e.g. "stream:unix:/run/p.sock" or "tcp:127.0.0.1:40123". */
  readonly address: string;
  /** The TCP port actually bound (TCP only; useful with port 0). */
  readonly port?: number;
  /** Resolves with the link once the peer has connected. Rejects if `close()` comes first. */
  readonly link: Promise<L>;
  /** Stop listening (and unlink a unix path); an accepted link stays open. */
  close(): Promise<void>;
}

function acceptOne(server: Server, address: string, opts: StreamLinkOptions, onAccept: (s: Socket) => void) {
  let resolve!: (l: StreamLink) => void;
  let reject!: (e: Error) => void;
  const link = new Promise<StreamLink>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  link.catch(() => {});
  let accepted = false;
  server.on("connection", (sock) => {
    if (accepted) {
      // One peer per link, like QEMU and gvproxy; later connectors are refused.
      sock.destroy();
      return;
    }
    accepted = true;
    onAccept(sock);
    resolve(new StreamLink(sock, { arenaReads: true, ...opts, name: opts.name ?? address }));
    server.close();
  });
  server.on("close", () => {
    if (!accepted) reject(new Error(`${address}: listener closed before a peer connected`));
  });
  return link;
}

function listenAsync(server: Server, arg: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((res, rej) => {
    server.once("error", rej);
    server.listen(arg, () => {
      server.off("error", rej);
      res();
    });
  });
}

/**
 * Listen on a unix stream socket at `path` and accept one peer. The path must not exist (a stale
 * socket file is removed; anything else is an error). The path is unlinked once the peer connects
 * or the listener closes.
 */
export async function listenUnixStream(path: string, opts: StreamLinkOptions = {}): Promise<PendingLink<StreamLink>> {
  const address = `stream:unix:${path}`;
  if (existsSync(path)) {
    if (!lstatSync(path).isSocket()) {
      throw new Error(`${address}: ${path} already exists and is not a socket; choose a path that does not exist`);
    }
    unlinkSync(path);
  }
  const server = createServer({ allowHalfOpen: false });
  const unlink = () => {
    try {
      unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
  const link = acceptOne(server, address, opts, () => unlink());
  server.on("close", unlink);
  await listenAsync(server, { path });
  return {
    address,
    link,
    close: () => new Promise((res) => (server.listening ? server.close(() => res()) : res())),
  };
}

/** Listen on TCP `host:port` (port 0 picks one) and accept one peer; Nagle is disabled. */
export async function listenTcpStream(host: string, port: number, opts: StreamLinkOptions = {}): Promise<PendingLink<StreamLink>> {
  const server = createServer({ allowHalfOpen: false, noDelay: true });
  const link = acceptOne(server, `tcp:${host}:${port}`, opts, (s) => s.setNoDelay(true));
  await listenAsync(server, { host, port });
  const addr = server.address();
  const bound = typeof addr === "object" && addr ? addr.port : port;
  return {
    address: `tcp:${host}:${bound}`,
    port: bound,
    link,
    close: () => new Promise((res) => (server.listening ? server.close(() => res()) : res())),
  };
}

/**
 * Wrap an inherited, already connected stream socket fd (for example fd 3 when the proxy is
 * spawned with one end of a socketpair). Node accepts sockets and pipes here; a datagram socket or
 * a regular file is rejected by libuv with an error naming the fd.
 */
export function streamFromFd(fd: number, opts: StreamLinkOptions = {}): StreamLink {
  if (!Number.isInteger(fd) || fd < 0) throw new Error(`fd:${fd}: expected a non-negative integer file descriptor`);
  let sock: Socket;
  try {
    sock = new Socket({ fd, readable: true, writable: true, allowHalfOpen: false });
  } catch (e) {
    throw new Error(`fd:${fd}: cannot use this descriptor as a stream socket (${(e as Error).message}); for a datagram socket use dgram:fd:${fd}`, { cause: e });
  }
  return new StreamLink(sock, { arenaReads: true, ...opts, name: opts.name ?? `fd:${fd}` });
}

/**
 * Connect to a listening unix stream socket (QEMU `-netdev stream,server=on`) and return the link.
 * The listener may not exist yet (QEMU creates it while starting), so ENOENT/ECONNREFUSED are
 * retried every 50 ms until `timeoutMs` (default 10 s).
 */
export async function connectUnixStream(path: string, opts: StreamLinkOptions & { timeoutMs?: number } = {}): Promise<StreamLink> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    try {
      const sock = await new Promise<Socket>((res, rej) => {
        const s = new Socket({ allowHalfOpen: false });
        s.once("error", rej);
        s.connect({ path }, () => {
          s.off("error", rej);
          res(s);
        });
      });
      return new StreamLink(sock, { arenaReads: true, ...opts, name: opts.name ?? `stream:connect:unix:${path}` });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== "ENOENT" && code !== "ECONNREFUSED") || Date.now() >= deadline) {
        throw new Error(`stream:connect:unix:${path}: ${(e as Error).message}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
