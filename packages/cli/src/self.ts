/** How to start this CLI again as a child process (TypeScript sources in-repo, JS when built). */
import { fileURLToPath } from "node:url";
import { NETPROXY_NODE_FLAGS } from "@sandbox/netproxy/node-flags";

/** node arguments that run the `sandbox` command. */
export function cliCommand(): string[] {
  const self = import.meta.url;
  if (self.endsWith(".ts")) return ["--conditions=@sandbox/source", "--import", "tsx", fileURLToPath(new URL("./bin.ts", self))];
  return [fileURLToPath(new URL("./bin.js", self))];
}

/** node arguments that run `sandbox netproxy` as a proxy process: netproxy's node flags, then the command. */
export function netproxyCliCommand(): string[] {
  return [...NETPROXY_NODE_FLAGS, ...cliCommand(), "netproxy"];
}
