/** The --listen grammar: every accepted form, and errors that name the problem and the forms. */
import { describe, expect, it } from "vitest";
import { formatListen, parseListen } from "../../src/transport/listen-spec.js";

describe("parseListen", () => {
  it.each([
    ["stream:unix:/run/np.sock", { kind: "stream-unix", path: "/run/np.sock" }],
    ["stream:connect:unix:/run/qemu.sock", { kind: "stream-connect-unix", path: "/run/qemu.sock" }],
    ["dgram:unix:/tmp/a b.sock", { kind: "dgram-unix", path: "/tmp/a b.sock" }],
    ["fd:3", { kind: "fd", fd: 3 }],
    ["dgram:fd:5", { kind: "dgram-fd", fd: 5 }],
    ["tcp:127.0.0.1:4000", { kind: "tcp", host: "127.0.0.1", port: 4000 }],
    ["tcp:[::1]:0", { kind: "tcp", host: "::1", port: 0 }],
    ["tcp:localhost:65535", { kind: "tcp", host: "localhost", port: 65535 }],
    ["netns:/run/netns/guest", { kind: "netns", path: "/run/netns/guest" }],
  ])("parses %s and formats it back", (text, want) => {
    const got = parseListen(text);
    expect(got).toEqual(want);
    expect(formatListen(got)).toBe(text);
  });

  it.each([
    ["unix:/x", /unknown transport; accepted: stream:unix:PATH/],
    ["stream:unix:", /the path is empty/],
    ["fd:three", /`three` is not a file descriptor number/],
    ["fd:-1", /not a file descriptor number/],
    ["tcp:127.0.0.1", /expected tcp:HOST:PORT/],
    ["tcp:127.0.0.1:65536", /port 65536 is outside 0..65535/],
    ["tcp:::1:80", /IPv6 as tcp:\[ADDR\]:PORT/],
    ["netns:", /the path is empty/],
  ])("rejects %s", (text, msg) => {
    expect(() => parseListen(text)).toThrow(msg);
  });
});
