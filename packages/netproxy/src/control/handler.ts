/**
 * What the control server needs from the proxy: the operations behind each command. `main.ts`
 * implements it over the running stack; tests implement it directly.
 */
import type { PortKey, PublishedPort, Reloaded, Stats } from "../gen/control.js";

/** Operations behind the control commands. Each may throw; the message goes back to the client. */
export interface ControlHandler {
  /** Apply the policy of a new network config (JSON text); keep the flows it still allows. */
  reloadPolicy(configJson: string): Promise<Reloaded>;
  /** Start a published port; resolves with the bound host port filled in. */
  addPublishedPort(port: PublishedPort): Promise<PublishedPort>;
  /** Stop a published port; throws when no such port exists. */
  removePublishedPort(key: PortKey): Promise<void>;
  /** A snapshot of the counters. */
  stats(): Stats;
  /** Close everything; the server answers `done` before this runs to completion. */
  shutdown(): Promise<void>;
}
