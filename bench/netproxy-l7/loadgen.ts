/**
 * The second set of load generators of the L7 bench, standard C clients on OpenSSL: ApacheBench
 * (`ab`, apache2-utils) for new connections and curl for a bulk download. They measure the same
 * things as the Node TLS clients of client.ts with less CPU of the load generator on the same 2
 * cores. Used for direct and intercepted runs alike.
 */
import { spawn } from "node:child_process";

/** Where the load goes: a port on 127.0.0.1, the TLS server name, a PEM file of the CA to trust. */
export interface LoadTarget { readonly port: number; readonly servername: string; readonly caFile: string }

/** Run `cmd` under `sh` and return its stdout and its CPU seconds (user + system, from the shell's `times`). */
function run(cmd: string, args: string[]): Promise<{ out: string; cpu: number }> {
  return new Promise((resolve, reject) => {
    const cp = spawn("sh", ["-c", `${cmd} "$@" || exit 1; times`, "sh", ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    cp.stdout.on("data", (d: Buffer) => (out += d.toString()));
    cp.once("close", (code) => {
      if (code !== 0) return reject(new Error(`${cmd} exited with ${code}`));
      const lines = out.trimEnd().split("\n");
      const [u, s] = lines.at(-1)!.split(/\s+/).map((t) => {
        const m = /^(\d+)m([\d.]+)s$/.exec(t);
        return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
      });
      resolve({ out: lines.slice(0, -2).join("\n"), cpu: u! + s! });
    });
  });
}



/**
 * `n` HTTPS connections by ApacheBench, `parallel` at once, each a new full TLS handshake (ab
 * offers no session; SNI from the Host header; ab does not verify the server's certificate) and
 * one small HTTP/1.0 GET that the upstream answers and closes. Returns the count, the wall
 * seconds and ab's CPU seconds.
 */
export async function abConnections(t: LoadTarget, n: number, parallel: number): Promise<{ count: number; seconds: number; cpu: number }> {
  const t0 = process.hrtime.bigint();
  const r = await run("ab", ["-q", "-n", String(n), "-c", String(parallel), "-H", `Host: ${t.servername}`, `https://127.0.0.1:${t.port}/close`]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(r.out)?.[1]);
  const done = field("Complete requests");
  const failed = field("Failed requests");
  if (done !== n || failed !== 0 || /Non-2xx/.test(r.out)) throw new Error(`ab connections: ${done} of ${n} complete, ${failed} failed`);
  return { count: done, seconds, cpu: r.cpu };
}

/** One GET of `bytes` bytes by curl (verifying the server); Mbit/s over the transfer after the TLS handshake. */
export async function curlDownload(t: LoadTarget, bytes: number): Promise<{ mbps: number; cpu: number }> {
  const r = await run("curl", ["--silent", "--show-error", "--http1.1", "--cacert", t.caFile, "--resolve", `${t.servername}:${t.port}:127.0.0.1`, "--output", "/dev/null", "--write-out", "%{size_download} %{time_pretransfer} %{time_total}\\n", `https://${t.servername}:${t.port}/bulk/${bytes}`]);
  const [size, pre, total] = r.out.trim().split(" ").map(Number);
  if (size !== bytes) throw new Error(`curl download: ${size} of ${bytes} bytes`);
  return { mbps: (size! * 8) / (total! - pre!) / 1e6, cpu: r.cpu };
}
