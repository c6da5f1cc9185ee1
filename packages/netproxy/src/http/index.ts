/** HTTP/1 request heads and the guest->server request filter. */
export { parseRequestHead, hostMismatch, hostOfAuthority, absoluteAuthority, serializeHead, MAX_HEAD, type RequestHead, type HeaderLine, type HeadResult } from "./head.js";
export { RequestFilter, basicCredentials, MAX_SUBSTITUTED_BODY, type FilterBlock, type FilterOutput, type RequestFilterOptions, type ViolationLocation } from "./request-filter.js";
export { H2Filter, H2_PREFACE } from "./h2-filter.js";
export { HpackDecoder, encodeLiterals, huffmanDecode, MAX_TABLE_SIZE, MAX_HEADER_LIST, type HeaderField, type DecodeResult } from "./hpack.js";
