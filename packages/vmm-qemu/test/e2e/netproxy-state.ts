/**
 * Whether @sandbox/netproxy can put a guest behind it yet (used by the policy e2e suite and by
 * bench/vm): `soft` when the feature itself is still missing rather than the environment.
 */

/** Why netproxy cannot run a guest here; `soft` = its `startNetproxy` is not there yet. */
export async function netproxyState(): Promise<{ reason?: string; soft?: boolean }> {
  try {
    const mod = (await import("@sandbox/netproxy")) as Record<string, unknown>;
    if (typeof mod.startNetproxy !== "function") {
      return { reason: "@sandbox/netproxy does not export startNetproxy yet (its stack and transports are in progress)", soft: true };
    }
    return {};
  } catch (e) {
    return { reason: `cannot import @sandbox/netproxy: ${(e as Error).message}` };
  }
}
