/** The control channel: schema-validated msgpack commands, responses and events on a unix socket. */
export { ControlServer } from "./server.js";
export { ControlClient } from "./client.js";
export type { ControlHandler } from "./handler.js";
export { encodeControl, ControlDecoder, validateControl, CONTROL_MAX_MESSAGE, type Decoded } from "./codec.js";
