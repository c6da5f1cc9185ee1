/**
 * The proxy process's entry alone (`@sandbox/netproxy/start`, what `sandbox netproxy` loads):
 * `startNetproxy` and the process tuning, without the rest of the package's index (control
 * client, TLS helpers, netns topologies, test hosts), which a proxy process would only carry as
 * heap and code.
 */
export { startNetproxy, readConfigFile, type Netproxy, type StartNetproxyOptions } from "./main.js";
export { parseSched, type NetproxySched } from "./sched.js";
export { NETPROXY_NODE_FLAGS } from "./node-flags.js";
export { tuneProxyProcess } from "./process-tuning.js";
