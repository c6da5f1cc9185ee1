/**
 * Locates (building it with gcc on first use if needed) and runs `native/netproxy-helper`, the small
 * C relay for what Node core cannot open: AF_UNIX datagram sockets and TAP devices inside another
 * network namespace. The helper talks u32be frames over its fd 3, a socketpair that Node creates
 * for a 'pipe' stdio entry, so the TypeScript side reuses {@link StreamLink}.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Socket } from "node:net";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { StreamLink, type StreamLinkOptions } from "./stream-link.js";

const nativeDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../native");

/** One status line printed by the helper on stderr. */
export interface HelperStatus {
  event: "ready" | "configured" | "peer" | "ignored" | "warning" | "error" | string;
  message?: string;
  path?: string;
  reason?: string;
  ifname?: string;
}

/**
 * Path of the helper binary: `$SANDBOX_NETPROXY_HELPER` if set, else `native/build/netproxy-helper`,
 * compiled from `native/netproxy-helper.c` when missing or older than the source. When the
 * package directory is not writable (an installed package), the binary is built in
 * `$TMPDIR/sandbox-netproxy-<uid>/` instead, named by a hash of the source.
 */
export function ensureHelper(): string {
  const override = process.env.SANDBOX_NETPROXY_HELPER;
  if (override) {
    if (!existsSync(override)) throw new Error(`SANDBOX_NETPROXY_HELPER=${override}: no such file`);
    return override;
  }
  const src = join(nativeDir, "netproxy-helper.c");
  const bin = join(nativeDir, "build", "netproxy-helper");
  if (existsSync(bin) && (!existsSync(src) || statSync(bin).mtimeMs >= statSync(src).mtimeMs)) return bin;
  if (!existsSync(src)) throw new Error(`netproxy helper: neither ${bin} nor its source ${src} exists`);
  try {
    mkdirSync(dirname(bin), { recursive: true });
    accessSync(dirname(bin), constants.W_OK);
    return compile(src, bin);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EROFS" && code !== "EPERM") throw e;
  }
  const hash = createHash("sha256").update(readFileSync(src)).digest("hex").slice(0, 12);
  const cached = join(tmpdir(), `sandbox-netproxy-${process.getuid?.() ?? "user"}`, `netproxy-helper-${hash}`);
  if (existsSync(cached)) return cached;
  mkdirSync(dirname(cached), { recursive: true, mode: 0o700 });
  return compile(src, cached);
}

function compile(src: string, bin: string): string {
  const tmp = `${bin}.${process.pid}.tmp`;
  const cc = process.env.CC ?? "gcc";
  const r = spawnSync(cc, ["-O2", "-Wall", "-Wextra", "-o", tmp, src], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(
      `netproxy helper: compiling ${src} with ${cc} failed (${r.error?.message ?? r.stderr.trim()}); ` +
        `install gcc or set SANDBOX_NETPROXY_HELPER to a prebuilt binary`,
    );
  }
  renameSync(tmp, bin); // atomic: concurrent builders never see a half-written binary
  return bin;
}

/** A running helper with its frame link. */
export interface HelperLink {
  /** Frames relayed by the helper. Closing it makes the helper exit. */
  readonly link: StreamLink;
  /** The helper process. */
  readonly child: ChildProcess;
  /** Status lines seen so far (peer locking, warnings). */
  readonly statuses: HelperStatus[];
}

/** Options for {@link startHelper}. */
export interface StartHelperOptions extends StreamLinkOptions {
  /** Extra descriptors for the child at index 4, 5, ... (e.g. a datagram fd for `dgram-fd 4`). */
  extraFds?: number[];
  /** Called for each status line after start-up. */
  onStatus?: (s: HelperStatus) => void;
  /** How long to wait for the helper's `ready` line. Default 10 s. */
  readyTimeoutMs?: number;
}

/** Spawn the helper with `args`, wait until it reports `ready`, and wrap its fd 3 as a link. */
export function startHelper(args: string[], opts: StartHelperOptions = {}): Promise<HelperLink> {
  const bin = ensureHelper();
  const child = spawn(bin, args, {
    stdio: ["ignore", "ignore", "pipe", "pipe", ...(opts.extraFds ?? [])],
  });
  const statuses: HelperStatus[] = [];
  const what = `netproxy-helper ${args.join(" ")}`;
  // The link takes fd 3 at once, before any read on it (arena reads need a fresh socket); frames
  // that arrive before the stack attaches are held by the link.
  const link = new StreamLink(child.stdio[3] as Socket, { arenaReads: true, ...opts, name: opts.name ?? what });
  return new Promise((res, rej) => {
    let settled = false;
    let lastError = "";
    const timer = setTimeout(() => fail(new Error(`${what}: no ready status within ${opts.readyTimeoutMs ?? 10000} ms`)), opts.readyTimeoutMs ?? 10000);
    function fail(e: Error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      link.close(e);
      rej(e);
    }
    child.once("error", (e) => fail(new Error(`${what}: ${e.message}`, { cause: e })));
    child.once("exit", (code, sig) => {
      fail(new Error(`${what}: exited (${sig ?? `status ${code}`}) before it was ready${lastError ? `: ${lastError}` : ""}`));
    });
    const rl = createInterface({ input: child.stderr! });
    rl.on("line", (line) => {
      let st: HelperStatus;
      try {
        st = JSON.parse(line) as HelperStatus;
      } catch {
        st = { event: "warning", message: line };
      }
      statuses.push(st);
      if (statuses.length > 100) statuses.splice(0, 50);
      if (st.event === "error") lastError = st.message ?? "";
      if (settled) {
        opts.onStatus?.(st);
        return;
      }
      if (st.event === "ready") {
        settled = true;
        clearTimeout(timer);
        link.onClose(() => {
          // EOF on fd 3 makes the helper exit; make sure it does.
          const t = setTimeout(() => child.kill("SIGKILL"), 2000);
          t.unref();
          child.once("exit", () => clearTimeout(t));
        });
        child.once("exit", (code, sig) => {
          if (code === 0) link.close();
          else link.close(new Error(`${what}: exited (${sig ?? `status ${code}`})${lastError ? `: ${lastError}` : ""}`));
        });
        res({ link, child, statuses });
      }
    });
  });
}
