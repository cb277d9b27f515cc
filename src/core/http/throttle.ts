/**
 * Failed authentications per client address, as token buckets: each address may fail `burst`
 * times in a row, and is forgiven `perMinute` failures a minute. An address with an empty bucket
 * gets 429 with Retry-After before its key is even looked up, so guessing keys costs a caller
 * time and the database nothing. In memory, per process: enough to slow a guesser down; a
 * deployment with many replicas behind one address should also limit at its proxy.
 */
export class AuthFailureThrottle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perMinute: number,
    /** Addresses remembered at most; the longest-quiet ones are forgotten first. */
    private readonly maxAddresses = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds the address must wait before it may try again, or 0 when it may try now. */
  retryAfter(address: string): number {
    const tokens = this.tokens(address);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 60) / this.perMinute);
  }

  recordFailure(address: string): void {
    const tokens = this.tokens(address);
    this.buckets.delete(address);
    this.buckets.set(address, { tokens: Math.max(0, tokens - 1), at: this.now() });
    if (this.buckets.size > this.maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
  }

  private tokens(address: string): number {
    const bucket = this.buckets.get(address);
    if (!bucket) return this.burst;
    const refilled = bucket.tokens + ((this.now() - bucket.at) / 60_000) * this.perMinute;
    if (refilled >= this.burst) {
      this.buckets.delete(address);
      return this.burst;
    }
    return refilled;
  }
}
