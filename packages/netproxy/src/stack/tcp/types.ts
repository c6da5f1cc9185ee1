/** Shared types between a TCP connection and the table that owns it. */
import type { TcpHeaderFields } from "../../frame/tcp.js";
import type { RtoConfig } from "./rto.js";

/** Per-connection limits and timers (all sizes in bytes, times in ms). */
export interface TcpConfig {
  /** MSS we advertise (link MTU - IP header - 20). */
  readonly mss: number;
  /** Receive buffer: upstream write backlog + out-of-order bytes we are willing to hold. */
  readonly rcvBuf: number;
  /** Send buffer: bytes read from upstream not yet acknowledged by the guest; upstream reading pauses above it. */
  readonly sndBuf: number;
  /** Retransmission timer settings. */
  readonly rto: RtoConfig;
  /** Consecutive unanswered retransmissions before the flow is reset. */
  readonly maxRetries: number;
  /** How long a fully closed flow lingers to re-ACK a retransmitted FIN (counts towards max_connections). */
  readonly timeWaitMs: number;
  /** Largest TCP payload per frame when the link segments for us (TSO); 0 = one MSS per frame. */
  readonly tsoBytes?: number;
  /**
   * How long the ACK of a small in-order arrival (under two segments, or the guest's FIN) may wait
   * for a segment of ours to carry it (the upstream's reply or FIN) before it goes out alone.
   */
  readonly delayedAckMs: number;
}

/** What a connection needs from its owner. */
export interface TcpConnHost {
  readonly cfg: TcpConfig;
  /** Monotonic clock in ms. */
  now(): number;
  /**
   * Build and queue one segment to the guest. `fill` writes `payloadLen` payload bytes at `off` of
   * the frame buffer. Returns false when the link asked for backpressure (the frame was queued).
   */
  send(conn: object, f: TcpHeaderFields, payloadLen: number, fill?: (dst: Uint8Array, off: number) => void): boolean;
  /** Whether the link is currently applying backpressure. */
  linkBlocked(): boolean;
  /** Call `conn.resume()` once the link drains. */
  waitDrain(conn: { resume(): void }): void;
  /** Run `conn.flushAck()` after the current batch of input frames. */
  scheduleAck(conn: { flushAck(): void }): void;
  /** Run `conn.flushDelayedAck()` within `cfg.delayedAckMs`. */
  scheduleDelayedAck(conn: { flushDelayedAck(): void }): void;
  /** The connection has finished (closed, reset or timed out) and must be forgotten. */
  finished(conn: object, reason: string): void;
}
