/**
 * Node command-line flags for a process whose only job is to be a netproxy (a module of its own,
 * `@sandbox/netproxy/node-flags`, so that a launcher can read them without loading the proxy).
 * Whoever starts one (the `sandbox` command's shebang, `sandbox run`, the namespace topologies,
 * the benchmarks) passes them ahead of the script. Both shape memory and only work at start: V8
 * sizes its young generation and starts its compiler thread when the isolate is created.
 * - `--max-semi-space-size=4`: the young generation stays at 4 MiB per semi-space (new space
 *   grew from 8 to 16 MB with 1,000 connections). Not smaller: at 1 MiB the DNS forwarder with a
 *   100,000-name deny list promoted its in-flight queries into the large old generation and its
 *   p99 at 20,000 q/s went from 2-4 ms to 24-50 ms, with queries dropped (bench/netproxy-l7).
 * - `--no-concurrent-recompilation`: optimized code is compiled on the main thread, so no
 *   compiler thread keeps memory of its own (4-6 MB measured).
 * Measured with bench/netproxy (2 cores, interleaved, 1,000 idle connections, raw upstream
 * handles): RSS 71.8 MB (66.1 with 1 MiB semi-spaces; 80.3 before both flags and the raw handles).
 */
export const NETPROXY_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4", "--no-concurrent-recompilation"];
