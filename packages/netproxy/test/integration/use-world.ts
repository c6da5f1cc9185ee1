/**
 * `useWorld()`: the netns world (world.ts) for a describe block: built in `beforeAll` with netproxy
 * attached and a control client collecting events, destroyed in `afterAll` even after a failure.
 */
import { afterAll, beforeAll } from "vitest";
import { ControlClient } from "../../src/control/index.js";
import type { EventMessage } from "../../src/gen/control.js";
import { GATEWAY, World } from "./world.js";

/** What `useWorld` sets up. */
export interface WorldSetup {
  /** netproxy's network config. */
  config: object;
  build?: Parameters<World["build"]>[0];
  /** More netproxy options (`--ca-dir`, `--trust-out`). */
  netproxyArgs?: string[];
  /** Make the gateway the guest's resolver (resolv.conf in the guest namespace). */
  guestResolver?: boolean;
  /** Connect a control client (collecting events). Default true. */
  control?: boolean;
}

/** A world set up for a describe block. `ctl` may be replaced by a test; `afterAll` closes the current one. */
export interface WorldHandle {
  readonly w: World;
  ctl: ControlClient;
  /** Every control event since netproxy attached. */
  readonly events: EventMessage[];
}

/**
 * Build a world in `beforeAll` (namespaces, test hosts, netproxy attached, a control client) and
 * destroy it in `afterAll`. `setup` may be a function of the world (e.g. certificates in `w.dir`).
 */
export function useWorld(setup: WorldSetup | ((w: World) => WorldSetup), tag?: string): WorldHandle {
  const h = { w: new World(tag), ctl: undefined as unknown as ControlClient, events: [] as EventMessage[] };
  beforeAll(async () => {
    try {
      const s = typeof setup === "function" ? setup(h.w) : setup;
      await h.w.build(s.build);
      await h.w.startNetproxy(s.config, s.netproxyArgs);
      if (s.guestResolver) h.w.topo.resolvConf(h.w.guest, [GATEWAY]);
      if (s.control !== false) {
        h.ctl = await ControlClient.connect(h.w.controlPath);
        h.ctl.onEvent((e) => h.events.push(e));
      }
    } catch (e) {
      await h.w.destroy();
      throw e;
    }
  }, 90_000);
  afterAll(async () => {
    h.ctl?.close();
    await h.w.destroy();
  });
  return h;
}
