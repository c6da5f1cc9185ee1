/** Published ports: host listeners that open flows into the guest under the ingress policy. */
export { PublishedPorts, MAX_INBOUND_TCP, type PublishedPortDeps } from "./published.js";
