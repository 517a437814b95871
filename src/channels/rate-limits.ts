/**
 * Web chat request limits and the client address they are keyed on.
 *
 * - One replica: token buckets in this process (`RateLimiter`, with an injectable clock).
 * - Several replicas sharing Redis (REDIS_URL): rate-limiter-flexible's RateLimiterRedis, so a
 *   client cannot multiply its allowance by the number of replicas behind the load balancer. When
 *   Redis does not answer, an in-process limiter stands in (its `insuranceLimiter`), so a Redis
 *   outage neither opens the gates nor fails the request.
 * - The client address: X-Forwarded-For is written by the client first and each proxy appends the
 *   address it saw, so only the rightmost entries are trustworthy. With N trusted proxy hops the
 *   client is the N-th address from the right of [X-Forwarded-For..., socket address]; anything
 *   further left is whatever the client claimed.
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Request } from 'restify';

const SWEEP_EVERY_MS = 60_000;

/** Token buckets: `perMinute` requests a minute, bursts up to `perMinute`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;
  private lastSweep = 0;

  constructor(
    private readonly perMinute: number,
    private readonly clock: () => number,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Take one request; the seconds to wait when none is left. */
  take(key: string): number | undefined {
    const now = this.clock();
    if (now - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = now;
      this.sweep();
    }
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  /** Forget buckets that have filled up again. */
  sweep(): void {
    const now = this.clock();
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.perMinute) this.buckets.delete(key);
    }
  }
}

/** A request limit: take one request for `key`; resolves to the seconds to wait when none is left. */
export interface Limit {
  take(key: string): Promise<number | undefined>;
}

export function memoryLimit(perMinute: number, clock: () => number): Limit {
  const limiter = new RateLimiter(perMinute, clock);
  return { take: async (key) => limiter.take(key) };
}

/** A limit shared by every replica through Redis (fixed one-minute windows per key). */
export function redisLimit(redis: Redis, name: string, perMinute: number): Limit {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `clinicbot:webchat:rate:${name}`,
    points: perMinute,
    duration: 60,
    insuranceLimiter: new RateLimiterMemory({ points: perMinute, duration: 60 }),
  });
  return {
    async take(key) {
      try {
        await limiter.consume(key);
        return undefined;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        // Neither Redis nor the insurance limiter answered: let the request through.
        return undefined;
      }
    },
  };
}

/**
 * The client's address: with `hops` trusted proxies in front of us, the `hops`-th address from the
 * right of X-Forwarded-For followed by the socket address; with 0, the socket address.
 */
export function clientAddress(req: Pick<Request, 'headers' | 'socket'>, hops: number): string {
  const socket = req.socket?.remoteAddress ?? 'unknown';
  if (hops <= 0) return socket;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const chain = [...forwarded, socket];
  // Fewer entries than trusted hops: the request skipped a proxy; the leftmost is the best we have.
  return chain[Math.max(0, chain.length - 1 - hops)] ?? socket;
}
