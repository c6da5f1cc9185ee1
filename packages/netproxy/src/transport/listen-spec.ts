/**
 * The `--listen` grammar of `sandbox netproxy` and `startNetproxy`: which transport the guest's
 * frames arrive on. Parsing is strict and every error lists the accepted forms.
 */

/** A parsed listen spec. */
export type ListenSpec =
  | { kind: "stream-unix"; path: string }
  | { kind: "stream-connect-unix"; path: string }
  | { kind: "dgram-unix"; path: string }
  | { kind: "dgram-fd"; fd: number }
  | { kind: "fd"; fd: number }
  | { kind: "tcp"; host: string; port: number }
  | { kind: "netns"; path: string };

/** The accepted forms, for error messages and help text. */
export const LISTEN_FORMS =
  "stream:unix:PATH (QEMU -netdev stream, passt/libkrun unixstream), stream:connect:unix:PATH (connect to QEMU -netdev stream,server=on), dgram:unix:PATH (QEMU -netdev dgram, libkrun unixgram, vfkit), " +
  "fd:N (an inherited connected stream socket), dgram:fd:N (an inherited connected datagram socket), " +
  "tcp:HOST:PORT (length-prefixed stream over TCP; IPv6 as [ADDR]:PORT), netns:PATH (a TAP inside the network namespace PATH)";

function fdOf(s: string, spec: string): number {
  if (!/^(0|[1-9][0-9]{0,6})$/.test(s)) throw new Error(`invalid --listen \`${spec}\`: \`${s}\` is not a file descriptor number; accepted: ${LISTEN_FORMS}`);
  return Number(s);
}

function pathOf(s: string, spec: string): string {
  if (s.length === 0) throw new Error(`invalid --listen \`${spec}\`: the path is empty; accepted: ${LISTEN_FORMS}`);
  if (s.includes("\0")) throw new Error(`invalid --listen \`${spec}\`: the path contains a NUL byte`);
  return s;
}

/** Parse a listen spec. Throws an Error naming the bad part and the accepted forms. */
export function parseListen(spec: string): ListenSpec {
  if (spec.startsWith("stream:unix:")) return { kind: "stream-unix", path: pathOf(spec.slice(12), spec) };
  if (spec.startsWith("stream:connect:unix:")) return { kind: "stream-connect-unix", path: pathOf(spec.slice(20), spec) };
  if (spec.startsWith("dgram:unix:")) return { kind: "dgram-unix", path: pathOf(spec.slice(11), spec) };
  if (spec.startsWith("dgram:fd:")) return { kind: "dgram-fd", fd: fdOf(spec.slice(9), spec) };
  if (spec.startsWith("fd:")) return { kind: "fd", fd: fdOf(spec.slice(3), spec) };
  if (spec.startsWith("netns:")) return { kind: "netns", path: pathOf(spec.slice(6), spec) };
  if (spec.startsWith("tcp:")) {
    const rest = spec.slice(4);
    const m = /^\[([0-9a-fA-F:.]+)\]:([0-9]+)$/.exec(rest) ?? /^([^:[\]]+):([0-9]+)$/.exec(rest);
    if (!m) throw new Error(`invalid --listen \`${spec}\`: expected tcp:HOST:PORT (IPv6 as tcp:[ADDR]:PORT); accepted: ${LISTEN_FORMS}`);
    const port = Number(m[2]);
    if (!(port >= 0 && port <= 65535) || m[2]!.length > 5) throw new Error(`invalid --listen \`${spec}\`: port ${m[2]} is outside 0..65535`);
    return { kind: "tcp", host: m[1]!, port };
  }
  throw new Error(`invalid --listen \`${spec}\`: unknown transport; accepted: ${LISTEN_FORMS}`);
}

/** Format a spec back to its canonical text. */
export function formatListen(s: ListenSpec): string {
  switch (s.kind) {
    case "stream-unix":
      return `stream:unix:${s.path}`;
    case "stream-connect-unix":
      return `stream:connect:unix:${s.path}`;
    case "dgram-unix":
      return `dgram:unix:${s.path}`;
    case "dgram-fd":
      return `dgram:fd:${s.fd}`;
    case "fd":
      return `fd:${s.fd}`;
    case "netns":
      return `netns:${s.path}`;
    case "tcp":
      return `tcp:${s.host.includes(":") ? `[${s.host}]` : s.host}:${s.port}`;
  }
}
