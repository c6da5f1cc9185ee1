/** Network-namespace topology helpers (tests, benchmarks, `sandbox demo` and `netns:` mode set-ups). */
export { canRunNetns, netnsUnavailableReason, run, Topology } from "./topology.js";
export { blob, parseTestHostArgs, startTestHost, type Endpoint, type TestHostHit, type TestHostSpec } from "./test-host.js";
export { spawnTestHost, testHostCommand, type TestHostProcess } from "./test-host-process.js";
export { follow, type FollowedProcess } from "./lines.js";
export { netproxyCommand, spawnNetproxy, type NetproxyProcess, type SpawnNetproxyOptions } from "./netproxy-process.js";
