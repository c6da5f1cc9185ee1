/**
 * Per-SNI leaf certificates for interception: an LRU of ready `SecureContext`s (capacity from
 * `tls.cache.capacity`), regenerated within five minutes of expiry, with concurrent requests for
 * the same name sharing one signing operation.
 */
import { createSecureContext, type SecureContext } from "node:tls";
import { issueLeaf, type InterceptCa } from "./ca.js";

/** A cached leaf. */
export interface Leaf {
  readonly host: string;
  readonly context: SecureContext;
  readonly certChainPem: string;
  readonly notAfter: Date;
}

/** Options of {@link LeafCache}. */
export interface LeafCacheOptions {
  readonly capacity?: number;
  readonly validityHours?: number;
  /** ALPN is chosen per connection; this only sets context-wide options. */
  readonly now?: () => number;
}

const RENEW_BEFORE_MS = 5 * 60_000;

/** LRU cache of leaf certificates signed by one CA. */
export class LeafCache {
  private readonly entries = new Map<string, Leaf>();
  private readonly inflight = new Map<string, Promise<Leaf>>();
  private readonly capacity: number;
  private readonly validityHours: number;
  private readonly now: () => number;
  /** Number of leaves signed so far (for tests and metrics). */
  issued = 0;

  constructor(private readonly ca: InterceptCa, opts: LeafCacheOptions = {}) {
    this.capacity = Math.max(1, opts.capacity ?? 1000);
    this.validityHours = opts.validityHours ?? 24;
    this.now = opts.now ?? Date.now;
  }

  /** The leaf for `host` (canonical SNI), signing one when absent or near expiry. */
  get(host: string): Promise<Leaf> {
    const hit = this.entries.get(host);
    if (hit && hit.notAfter.getTime() - this.now() > RENEW_BEFORE_MS) {
      this.entries.delete(host);
      this.entries.set(host, hit);
      return Promise.resolve(hit);
    }
    const pending = this.inflight.get(host);
    if (pending) return pending;
    const p = this.issue(host).finally(() => this.inflight.delete(host));
    this.inflight.set(host, p);
    return p;
  }

  /** The leaf if cached and fresh, without signing (synchronous fast path). */
  peek(host: string): Leaf | undefined {
    const hit = this.entries.get(host);
    return hit && hit.notAfter.getTime() - this.now() > RENEW_BEFORE_MS ? hit : undefined;
  }

  /** Number of cached leaves. */
  get size(): number {
    return this.entries.size;
  }

  private async issue(host: string): Promise<Leaf> {
    const m = await issueLeaf(this.ca, host, this.validityHours);
    this.issued++;
    const leaf: Leaf = { host, context: createSecureContext({ key: m.keyPem, cert: m.certChainPem }), certChainPem: m.certChainPem, notAfter: m.notAfter };
    this.entries.delete(host);
    this.entries.set(host, leaf);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return leaf;
  }
}
