/** Network-namespace topology helpers (tests, benchmarks and `netns:` mode set-ups). */
export { canRunNetns, netnsUnavailableReason, run, Topology } from "./topology.js";
