/** Every netproxy fuzz target, in the order the long-run driver lists them. */
import type { FuzzTarget } from "../lib/target.js";
import { FRAME_TARGETS } from "./frames.js";
import { CODEC_TARGETS } from "./codecs.js";
import { FRAGMENT_TARGETS } from "./fragments.js";
import { DNS_TARGETS } from "./dns.js";
import { TLS_TARGETS } from "./tls.js";
import { HTTP_TARGETS } from "./http.js";
import { STACK_TARGETS } from "./stack.js";

/** The netproxy targets. */
export const NETPROXY_TARGETS: readonly FuzzTarget[] = [...FRAME_TARGETS, ...CODEC_TARGETS, ...FRAGMENT_TARGETS, ...DNS_TARGETS, ...TLS_TARGETS, ...HTTP_TARGETS, ...STACK_TARGETS];
