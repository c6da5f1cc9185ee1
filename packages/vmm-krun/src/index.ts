/**
 * @sandbox/vmm-krun: libkrun guests with policy-enforced networking — the exact nerdbox annotation
 * parser and its inverse, the libkrun binding (run in a child process), and @sandbox/netproxy as
 * the network provider for `unixstream` / `unixgram` NICs.
 */
export { runNerdboxProbe } from "./nerdbox/probe.js";
export type { NerdboxProbe, NerdboxProbeResult, NerdboxAnnotationsResult, NerdboxErrorResult } from "./nerdbox/probe.js";
export { parseNetwork, networkToJSON, MISSING_REQUIRED } from "./nerdbox/network.js";
export type { NerdboxNetwork, NerdboxNetworkJSON, NerdboxMode } from "./nerdbox/network.js";
export { parseCtrNetwork, ctrNetworkToJSON, ctrResolvConf } from "./nerdbox/ctr-network.js";
export type { CtrNetwork, CtrNetworkJSON } from "./nerdbox/ctr-network.js";
export { fromAnnotations, initArgs, NerdboxAnnotationError, NETWORK_ANNOTATION_PREFIX, CTR_NETWORK_ANNOTATION_PREFIX, CTR_DNS_ANNOTATION } from "./nerdbox/bundle.js";
export type { NerdboxBundle } from "./nerdbox/bundle.js";
export { parseGuestArg, guestView, guestSetup, guestArgString, staticGateway, resolvConf, DHCP_GATEWAY, DHCP_RESOLV_CONF } from "./nerdbox/guest.js";
export type { GuestNetwork, GuestView, GuestSetup } from "./nerdbox/guest.js";
export { VIRTIO_NET_FEATURES, NET_ALL_FEATURES, COMPAT_NET_FEATURES, parseFeatures, featureNames } from "./nerdbox/features.js";
export type { VirtioNetFeatureName } from "./nerdbox/features.js";
export { compareSuffix, keysWithPrefix } from "./nerdbox/order.js";
export { emitAnnotations, annotationValue, resolveSockets } from "./nerdbox/emit.js";
export type { ProviderSockets } from "./nerdbox/emit.js";
export { toNerdboxNetwork, fromNerdboxNetwork, KrunConfigError } from "./config/convert.js";
export { KrunNetwork, KrunNetworkSettings, TsiPortMapping, krunJsonSchema, parseKrunSettings } from "./config/types.js";
export type { KrunNetworkInput, KrunNetworkSettingsInput, TsiPortMappingInput } from "./config/types.js";
export { netCall, upstreamResult, NET_FLAG_VFKIT, NET_FLAG_DHCP_CLIENT, NERDBOX_NET_FLAG_INCLUDE_VNET_HEADER, EINVAL } from "./libkrun/plan.js";
export type { NetCall } from "./libkrun/plan.js";
export { startKrunVm } from "./libkrun/launcher.js";
export type { KrunVmHandle, StartKrunOptions, StdioName } from "./libkrun/launcher.js";
export { planVm, KrunRefusedError, TSI_WARNING } from "./libkrun/vm-plan.js";
export type { KrunVmSpec, KrunVmNetwork, KrunPlan } from "./libkrun/vm-plan.js";
export { findLibkrun, LibkrunNotFoundError, LIBKRUN_SEARCH_DIRS } from "./libkrun/find.js";
export { KRUN_SIGNATURES } from "./libkrun/signatures.js";
export type { KrunFn, PlanCall, PlanArg } from "./libkrun/signatures.js";
export type { ExecEvent } from "./libkrun/ffi.js";
export { startNetproxyProvider, loadStartNetproxy, ProviderUnavailableError } from "./provider/netproxy-provider.js";
export type { NetproxyProvider, NetproxyProviderOptions, NetproxyHandle, StartNetproxyLike } from "./provider/netproxy-provider.js";
export { startKrunSandbox } from "./provider/sandbox.js";
export type { KrunSandbox, KrunSandboxOptions } from "./provider/sandbox.js";
