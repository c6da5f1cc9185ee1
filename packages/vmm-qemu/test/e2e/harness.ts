/**
 * Shared pieces of the VM end-to-end suites: whether QEMU and the test guest are available (a skip
 * that becomes a failure under SANDBOX_REQUIRE_E2E=1), a loopback HTTP target that counts hits,
 * free loopback ports, a boot-sector disk (a QEMU that starts in a blink), and the scenario-script
 * helpers run inside the guest.
 */
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
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

/** Write `disk.img` in `dir`: a 1 MiB raw disk whose boot sector prints "disk-boot-ok" on COM1 and halts. */
export function bootSectorDisk(dir: string): string {
  // x86 real mode at 0x7c00: ds=0; si=msg; print each byte to port 0x3f8; halt
  const code = [0x31, 0xc0, 0x8e, 0xd8, 0xba, 0xf8, 0x03, 0xbe, 0x16, 0x7c, 0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8, 0xfa, 0xf4, 0xeb, 0xfd];
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector, 0);
  Buffer.from("disk-boot-ok\r\n\0", "latin1").copy(sector, code.length);
  sector.writeUInt16LE(0xaa55, 510);
  const path = join(dir, "disk.img");
  writeFileSync(path, Buffer.concat([sector, Buffer.alloc(1024 * 1024 - 512)]));
  return path;
}

/** The scenario helpers live in src (shared with bench/vm and `sandbox demo`). */
export { SCENARIO_LIB } from "../../src/guest/scenario.js";
