/** Frame transports: the FrameLink contract, codecs, and every way a guest's NIC reaches us. */
export type { FrameLink, LinkOffloads, TxOffload } from "./link.js";
export { VnetLink, VNET_HDR_LEN, writeVnetHeader } from "./vnet-link.js";
export { StreamDecoder, StreamProtocolError, encodeStreamFrame, STREAM_MAX_PREFIX } from "./stream-codec.js";
export { StreamLink, newLinkStats, type LinkStats, type ObservableLink, type StreamLinkOptions } from "./stream-link.js";
export { listenUnixStream, listenTcpStream, streamFromFd, connectUnixStream, type PendingLink } from "./stream-endpoints.js";
export { listenUnixDgram, dgramFromFd, type DgramLink, type DgramOptions } from "./dgram-endpoints.js";
export { openTapInNetns, type TapConfig } from "./tap-netns.js";
export { ensureHelper, startHelper, type HelperStatus, type HelperLink } from "./native-helper.js";
export { parseListen, formatListen, LISTEN_FORMS, type ListenSpec } from "./listen-spec.js";
export { openListen, type OpenListenOptions, type OpenedListen } from "./open.js";
