/**
 * Shared pieces of the VM end-to-end suites: whether QEMU and the test guest are available (a skip
 * that becomes a failure under SANDBOX_REQUIRE_E2E=1), a loopback HTTP target that counts hits,
 * free loopback ports, and the scenario-script helpers run inside the guest.
 */
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { buildGuest, which, type GuestImage } from "../../src/index.js";

/** True when skips must fail (CI). */
export const requireE2E = process.env.SANDBOX_REQUIRE_E2E === "1";

let guest: { image?: GuestImage; reason?: string } | undefined;

/** The cached test guest, or why the VM suites cannot run here. */
export function guestOrReason(): { image?: GuestImage; reason?: string } {
  if (guest) return guest;
  if (!which("qemu-system-x86_64")) {
    guest = { reason: "qemu-system-x86_64 is not installed (apt-get install -y qemu-system-x86)" };
  } else {
    try {
      guest = { image: buildGuest() };
    } catch (err) {
      guest = { reason: `the test guest cannot be built: ${(err as Error).message}` };
    }
  }
  return guest;
}

/** A loopback HTTP server that answers `body` and counts requests. */
export interface HttpTarget {
  port: number;
  hits: number;
  close(): Promise<void>;
}

/** Start an HTTP server on `host` (default 127.0.0.1) answering 200 `body`. */
export async function startHttpTarget(body: string, host = "127.0.0.1", port = 0): Promise<HttpTarget> {
  const target: HttpTarget = { port: 0, hits: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    target.hits++;
    res.writeHead(200, { "content-type": "text/plain", connection: "close" });
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  target.port = (server.address() as { port: number }).port;
  target.close = () => new Promise((resolve) => server.close(() => resolve()));
  return target;
}

/** A currently free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** The scenario helpers live in src (shared with bench/vm and `sandbox demo`). */
export { SCENARIO_LIB } from "../../src/guest/scenario.js";
