/**
 * @sandbox/netproxy: a userspace network proxy between a guest's virtio-net (or a TAP in a network
 * namespace) and the host that enforces an @sandbox policy. The root only re-exports.
 */
export { startNetproxy, readConfigFile, type Netproxy, type StartNetproxyOptions } from "./main.js";
export * from "./transport/index.js";
export { keepGcOnMainThread, MAIN_THREAD_GC_FLAGS } from "./gc-threads.js";
export { parseSched, useBatchScheduling, type NetproxySched } from "./sched.js";
export { NETPROXY_NODE_FLAGS } from "./node-flags.js";
export { tuneProxyProcess } from "./process-tuning.js";
export { ControlServer, ControlClient, encodeControl, ControlDecoder, validateControl, CONTROL_MAX_MESSAGE, type ControlHandler } from "./control/index.js";
export type {
  ControlMessage,
  Command as ControlCommand,
  CommandResult as ControlCommandResult,
  Event as ControlEvent,
  EventMessage as ControlEventMessage,
  Outcome as ControlOutcome,
  Stats as ControlStats,
} from "./gen/control.js";
export * from "./netns/index.js";
export * from "./stack/index.js";
export * from "./dns/index.js";
export * from "./tls/index.js";
export * from "./http/index.js";
export * from "./secrets/index.js";
/** The control protocol's zod schemas and JSON Schema (generated from schemas/control.schema.json). */
export * as controlProtocol from "./gen/index.js";
