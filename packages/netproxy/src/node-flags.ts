/**
 * Node command-line flags for a process whose only job is to be a netproxy (a module of its own,
 * `@sandbox/netproxy/node-flags`, so that a launcher can read them without loading the proxy).
 * Whoever starts one (the `sandbox` command's shebang, `sandbox run`, the namespace topologies,
 * the benchmarks) passes them ahead of the script. Both shape memory and only work at start: V8
 * sizes its young generation and starts its compiler thread when the isolate is created.
 * - `--max-semi-space-size=1`: the young generation stays at 1 MiB per semi-space (new space
 *   grew from 8 to 16 MB with 1,000 connections); the data path keeps its bytes in ArrayBuffers
 *   outside the V8 heap, so a small young generation costs few extra scavenges.
 * - `--no-concurrent-recompilation`: optimized code is compiled on the main thread, so no
 *   compiler thread keeps memory of its own (4-6 MB measured).
 * Measured with bench/netproxy (2 cores, interleaved, 1,000 idle connections): RSS 79.5 -> 67.4
 * MB; CPU per new connection within the noise (median 307 -> 327 us over 5 rounds, load ~2.4).
 */
export const NETPROXY_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1", "--no-concurrent-recompilation"];
