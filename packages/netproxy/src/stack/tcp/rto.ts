/**
 * Retransmission timeout estimation (RFC 6298): SRTT/RTTVAR from Karn-filtered samples, a clamped
 * RTO, and exponential backoff on expiry.
 */

/** Tunables for the RTO estimator (milliseconds). */
export interface RtoConfig {
  /** RTO before any sample (RFC 6298 says 1 s). */
  initialMs: number;
  /** Lower clamp (RFC 6298 says 1 s; Linux uses 200 ms; a VM link is local). */
  minMs: number;
  /** Upper clamp. */
  maxMs: number;
}

/** Default RTO settings: 1 s initial, 200 ms floor, 60 s ceiling. */
export const DEFAULT_RTO: RtoConfig = { initialMs: 1000, minMs: 200, maxMs: 60_000 };

/** The timeout for a base RTO and a backoff exponent, clamped to [min, max]. */
function timeoutMs(cfg: RtoConfig, base: number, backoff: number): number {
  return Math.min(cfg.maxMs, Math.max(cfg.minMs, base) * 2 ** Math.min(backoff, 16));
}

/** Per-connection RTO state. */
export class RtoEstimator {
  private srtt = -1;
  private rttvar = 0;
  private base: number;
  /** Number of consecutive expiries (backoff exponent). */
  backoff = 0;

  constructor(private readonly cfg: RtoConfig) {
    this.base = cfg.initialMs;
  }

  /** Feed one round-trip sample (only from segments that were never retransmitted). */
  sample(rttMs: number): void {
    const r = Math.max(0, rttMs);
    if (this.srtt < 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.base = this.srtt + Math.max(1, 4 * this.rttvar);
    this.backoff = 0;
  }

  /** The timeout before any sample or expiry (what `current` of a new estimator returns). */
  static initial(cfg: RtoConfig): number {
    return timeoutMs(cfg, cfg.initialMs, 0);
  }

  /** The current timeout including backoff, clamped to [min, max]. */
  get current(): number {
    return timeoutMs(this.cfg, this.base, this.backoff);
  }

  /** Smoothed RTT in ms, or -1 before the first sample. */
  get smoothed(): number {
    return this.srtt;
  }
}
