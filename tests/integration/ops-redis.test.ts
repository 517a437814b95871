/**
 * With REDIS_URL set: audit events and review entries go to Redis streams (every replica writes to
 * one place), review entries expire there too, and the storage health gauge follows Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashConversationId } from '../../src/ops/audit.js';
import { STREAM_KEYS } from '../../src/ops/event-sink.js';
import { reviewReport } from '../../src/ops/reports.js';
import { redisAvailability, startRedis, type TestRedis } from '../helpers/redis.js';
import { startService, type Running } from '../helpers/service.js';
import { say, waitFor } from './ops-helpers.js';

const { available, note } = redisAvailability();
const TOKEN = 'metrics-token-for-tests-0123456789';
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

describe.skipIf(!available)(`audit and review in Redis (integration)${note}`, () => {
  let redis: TestRedis;
  let client: Redis;
  let app: Running;
  const now = T0;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    client.on('error', () => undefined); // the outage test stops Redis on purpose
    app = await startService(
      { REDIS_URL: redis.url, REVIEW_ENABLED: 'true', METRICS_TOKEN: TOKEN },
      { clock: () => now },
    );
  });
  afterAll(async () => {
    await app?.close();
    client?.disconnect();
    await redis?.close();
  });

  const events = async (stream: 'audit' | 'review') =>
    (await client.xrange(STREAM_KEYS[stream], '-', '+')).map(
      ([, fields]) => JSON.parse(fields[1]!) as Record<string, any>,
    );

  it('when a red flag is typed, then its disposition is one event on the audit stream', async () => {
    const id = 'c-redis-audit';
    await say(app, id, 'I wet myself and my back is agony');
    await waitFor(async () => (await events('audit')).some((e) => e.conversation === hashConversationId(id)));
    const mine = (await events('audit')).filter((e) => e.conversation === hashConversationId(id));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ type: 'disposition', level: 'E', via: 'red_flag', at: T0 });
  });

  it('when a question cannot be answered, then it is on the review stream redacted, and it expires', async () => {
    await say(app, 'c-redis-review', 'what is the weather in Leeds on 3rd May, ask for Tom Baker');
    await waitFor(async () => (await events('review')).length > 0);
    const raw = JSON.stringify(await events('review'));
    expect(raw).not.toContain('Tom Baker');
    expect(raw).not.toContain('3rd May');
    expect(raw).toContain('weather');
    const later = await reviewReport(app.service.ops.sink!, T0 + 31 * 86_400_000, 30);
    expect(later.removed).toBeGreaterThan(0);
    expect(await events('review')).toEqual([]);
    // The audit trail is never trimmed.
    expect((await events('audit')).length).toBeGreaterThan(0);
  });

  it('when Redis stops, then the storage gauge says 0; when it is back, 1', async () => {
    const gauge = async () => {
      const text = await (
        await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).text();
      return Number(/clinicbot_storage_up\{store="redis"\} (\d)/.exec(text)?.[1]);
    };
    expect(await gauge()).toBe(1);
    const errors = async () => {
      const text = await (
        await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).text();
      return Number(/clinicbot_storage_errors_total\{op="load"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await errors();
    await redis.stop();
    try {
      expect(await gauge()).toBe(0);
      // A turn during the outage: the patient gets the apology, the failed load is counted.
      await say(app, 'c-redis-outage', 'hello');
      expect(await errors()).toBeGreaterThan(before);
    } finally {
      await redis.start();
    }
    await waitFor(async () => (await gauge()) === 1, 10_000);
  });
});
