/**
 * `sandbox netproxy`: run the policy-enforcing proxy standalone, where gvproxy or passt would be
 * used: QEMU `-netdev stream`/`dgram`, libkrun unixstream/unixgram, or a TAP in a network
 * namespace. Runs until SIGINT/SIGTERM, the guest goes away, or a `shutdown` control command.
 */
import { CliError, type Command } from "../command.js";
import { loadConfigOrFail } from "../config.js";
import { renderEvent } from "../events.js";
import { Exit } from "../exit-codes.js";

/** The `netproxy` command. */
export const netproxyCommand: Command = {
  name: "netproxy",
  summary: "Run the policy-enforcing network proxy for a VM or a network namespace",
  usage: "sandbox netproxy --config FILE --listen <stream:unix:PATH|dgram:unix:PATH|fd:N|tcp:HOST:PORT|netns:PATH> [--control PATH] [--slot N] [--sched batch|normal] [--quiet]",
  description: [
    "Listens for the guest's Ethernet frames and enforces the config's policy on every flow, DNS query and TLS handshake.",
    "  stream:unix:PATH  4-byte length-prefixed frames (QEMU -netdev stream, libkrun unixstream, passt-compatible)",
    "  dgram:unix:PATH   one frame per datagram (QEMU -netdev dgram, libkrun unixgram, vfkit's VFKT handshake)",
    "  fd:N              an inherited stream socket (a socketpair end handed over by the parent)",
    "  tcp:HOST:PORT     length-prefixed frames over TCP",
    "  netns:PATH        a TAP inside the network namespace PATH (/proc/PID/ns/net or /run/netns/NAME), configured like slirp4netns --configure",
    "Prints one line per decision (JSON lines with --json); --control PATH serves the msgpack control channel (events, reload, ports, shutdown).",
    "--sched batch (default) runs the proxy under SCHED_BATCH (same CPU share, no wake-up preemption of the guest's vCPU; needs chrt, skipped without it); --sched normal leaves the scheduling as started.",
  ].join("\n"),
  examples: [
    "sandbox netproxy --config examples/public-only.json --listen stream:unix:/tmp/np.sock",
    "sandbox netproxy --config examples/public-only.json --listen netns:/run/netns/sandbox --control /tmp/np.ctl",
  ],
  options: {
    config: { type: "string", short: "c" },
    dialect: { type: "string", short: "d" },
    listen: { type: "string", short: "l" },
    control: { type: "string" },
    slot: { type: "string" },
    sched: { type: "string" },
    quiet: { type: "boolean", short: "q" },
  },
  async run({ values, out, json }) {
    if (!values.config || !values.listen) throw new CliError("--config and --listen are required", Exit.usage);
    const config = loadConfigOrFail(String(values.config), values.dialect);
    // Loaded on use, and only the proxy entry (not the package index): the other commands never pay
    // for the data plane, and the proxy process does not carry the rest of the package (memory).
    const { startNetproxy, parseSched, tuneProxyProcess } = await import("@sandbox/netproxy/start");
    let sched;
    try {
      sched = parseSched(values.sched as string | undefined);
    } catch (e) {
      throw new CliError((e as Error).message, Exit.usage);
    }
    tuneProxyProcess(sched); // this process is the proxy: GC threads and wake-up preemption would compete with the guest for cores
    let np;
    try {
      np = await startNetproxy({
        config,
        listen: String(values.listen),
        controlSocket: values.control as string | undefined,
        slot: values.slot === undefined ? 0 : Number(values.slot),
        onEvent: (e) => {
          if (values.quiet) return;
          if (json) out.line(JSON.stringify(e));
          else {
            const line = renderEvent(e, out);
            if (line) out.line(line);
          }
        },
      });
    } catch (e) {
      throw new CliError((e as Error).message, Exit.invalid);
    }
    out.progress(`netproxy listening on ${np.address}${values.control ? `, control on ${values.control}` : ""}; Ctrl-C stops`);
    const stop = () => void np.close();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const cause = await np.closed;
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    if (cause) {
      out.err(`netproxy stopped: ${cause.message}`);
      return Exit.failed;
    }
    return Exit.ok;
  },
};
