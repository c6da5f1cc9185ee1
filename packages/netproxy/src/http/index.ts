/** HTTP/1 request heads and the guest→server request filter. */
export { parseRequestHead, hostMismatch, hostOfAuthority, absoluteAuthority, serializeHead, MAX_HEAD, type RequestHead, type HeaderLine, type HeadResult } from "./head.js";
export { RequestFilter, basicCredentials, MAX_SUBSTITUTED_BODY, type FilterBlock, type FilterOutput, type RequestFilterOptions, type ViolationLocation } from "./request-filter.js";
