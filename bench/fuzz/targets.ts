/**
 * The registry of fuzz targets the long-run driver knows: the netproxy parsers (frames, transport
 * and control codecs, fragments, DNS, TLS, HTTP, the whole stack), the @sandbox/core config and
 * dialect parsers and the @sandbox/vmm-krun annotation parser. The same targets run in each
 * package's bounded vitest suite.
 */
import type { FuzzTarget } from "../../packages/netproxy/test/fuzz/lib/target.js";

/** Load every target (lazily, so a child process imports only what the registry needs). */
export async function loadTargets(): Promise<FuzzTarget[]> {
  const mods = await Promise.all([
    import("../../packages/netproxy/test/fuzz/targets/index.js").then((m) => m.NETPROXY_TARGETS),
    import("../../packages/core/test/fuzz/targets.js").then((m) => m.CORE_TARGETS as readonly FuzzTarget[]),
    import("../../packages/vmm-krun/test/fuzz/targets.js").then((m) => m.KRUN_TARGETS as readonly FuzzTarget[]),
  ]);
  return mods.flat();
}
