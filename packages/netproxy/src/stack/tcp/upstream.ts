/**
 * What a flow needs of its upstream: a `net.Socket`, any Duplex (the TLS interceptor's, DNS over
 * TCP) or a {@link RawTcpUpstream}. Events: 'data' (chunk), 'end', 'drain', 'finish', 'error', 'close'.
 */
export interface FlowUpstream {
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  /** Bytes written and not yet taken by the other side (a kernel socket: by the kernel). */
  readonly writableLength: number;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  /** An empty chunk with a callback: the callback runs once everything written before it was taken. */
  write(chunk: Uint8Array, cb?: () => void): boolean;
  cork(): void;
  uncork(): void;
  end(): unknown;
  destroy(err?: Error): unknown;
  pause(): unknown;
  resume(): unknown;
  /** Kernel sockets only (net.Socket, RawTcpUpstream): still connecting. */
  readonly connecting?: boolean;
  /** Kernel sockets only: close with RST instead of FIN. */
  resetAndDestroy?(): unknown;
}
