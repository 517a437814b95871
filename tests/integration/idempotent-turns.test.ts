/**
 * Idempotent turns against a real redis-server (issue 13, defect 2: a clinical-safety defect).
 *
 * A save that times out may still be applied by Redis later: the patient reads the apology,
 * re-sends "no", and that "no" must not be recorded for the next red-flag question, which they
 * never saw. CLIENT PAUSE ... WRITE holds the save past the store's 2 s command timeout, exactly
 * as a stalled Redis does; reads still go through.
 *
 * Behaviour is read from what the patient is shown (compared with what an unfaulted conversation
 * is shown at the same point) and from the stored records, never from wording.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderText } from '../../src/knowledge/render.js';
import { createStore } from '../../src/storage/create-store.js';
import { RedisStore } from '../../src/storage/redis-store.js';
import { redisAvailability, startRedis, type TestRedis } from '../helpers/redis.js';
import { messageActivity, post, REAL_KNOWLEDGE, startService, type Running } from '../helpers/service.js';

const { available, note } = redisAvailability();
const silent = pino({ level: 'silent' });

/** What the patient sees of a reply, without ids and timestamps. */
function seen(res: { json: any }): unknown[] {
  return ((res.json?.activities ?? []) as any[]).map((a) => ({
    text: a.text,
    actions: a.suggestedActions?.actions?.map((x: any) => [x.title, x.value]),
  }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!available)(`idempotent turns on a real Redis${note}`, () => {
  let redis: TestRedis;
  let raw: Redis;
  let inspector: RedisStore;
  let a: Running;
  let b: Running;

  async function replica(): Promise<Running> {
    return startService(
      { REDIS_URL: redis.url, KNOWLEDGE_DIR: REAL_KNOWLEDGE, SHUTDOWN_GRACE_MS: '3000' },
      { store: createStore({ redisUrl: redis.url, stateTtlSeconds: 3600 }, silent) },
    );
  }

  beforeAll(async () => {
    redis = await startRedis();
    raw = new Redis(redis.url);
    inspector = new RedisStore({ url: redis.url, ttlMs: 3_600_000, log: silent });
    a = await replica();
    b = await replica();
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await inspector?.close();
    raw?.disconnect();
    await redis?.close();
  });

  const say = (app: Running, conversationId: string, text: string, id?: string) =>
    post(app.url, messageActivity(text, { conversation: { id: conversationId }, ...(id ? { id } : {}) }));

  /** Opens the symptom check and returns what the patient saw for each of the first answers. */
  async function control(conversationId: string): Promise<unknown[][]> {
    const shown: unknown[][] = [];
    for (const text of ['hi', 'can you check my symptoms', 'yes ok', 'no', 'no']) {
      shown.push(seen(await say(b, conversationId, text)));
    }
    return shown;
  }

  it('when a save is stalled past its timeout and lands later, then the next message re-asks the question the patient saw and nothing is recorded against a question they never saw', async () => {
    const shown = await control('ctl-1');
    const conv = 'paused-1';
    for (const text of ['hi', 'can you check my symptoms']) await say(b, conv, text);
    const firstQuestion = seen(await say(b, conv, 'yes ok'));
    expect(firstQuestion).toEqual(shown[2]);
    const before = await inspector.load(conv);

    // Redis holds every write for 3.5 s: the save of this "no" outlives the 2 s command timeout.
    await raw.call('CLIENT', 'PAUSE', '3500', 'WRITE');
    const pausedAt = Date.now();
    const stalled = await say(a, conv, 'no');
    expect(stalled.status).toBe(200);
    expect(seen(stalled).map((s: any) => s.text)).toEqual([
      renderText(a.service.knowledge, 'system.storage_unavailable'),
    ]);
    // Wait for the pause to end: the stalled save then lands after all, then its in-doubt mark.
    await sleep(Math.max(0, 3700 - (Date.now() - pausedAt)));
    const landed = await inspector.load(conv);
    expect(Number(landed!.etag)).toBe(Number(before!.etag) + 1);
    expect(landed!.inDoubt).toBeDefined();

    // The patient sends "no" again, to the other replica: it is NOT applied to the next question;
    // the question they saw last is asked again, from the state before the doubtful turn.
    const again = await say(b, conv, 'no');
    expect(seen(again)).toEqual(firstQuestion);
    const after = await inspector.load(conv);
    expect(after!.inDoubt).toBeUndefined();
    expect(after!.record.dialog).toEqual(before!.record.dialog);

    // Their answer now goes to that question, and the check carries on exactly as the unfaulted one.
    expect(seen(await say(b, conv, 'no'))).toEqual(shown[3]);
    expect(seen(await say(a, conv, 'no'))).toEqual(shown[4]);
  });

  it('when a save is stalled and the channel retries the same activity, then it is applied once and its replies are shown', async () => {
    const shown = await control('ctl-2');
    const conv = 'paused-2';
    for (const text of ['hi', 'can you check my symptoms', 'yes ok']) await say(b, conv, text);
    const before = await inspector.load(conv);
    await raw.call('CLIENT', 'PAUSE', '3500', 'WRITE');
    const pausedAt = Date.now();
    expect((await say(a, conv, 'no', 'retry-me')).status).toBe(200);
    await sleep(Math.max(0, 3700 - (Date.now() - pausedAt)));
    // The same activity id again (a channel retry): the answer landed once; show what it produced.
    expect(seen(await say(b, conv, 'no', 'retry-me'))).toEqual(shown[3]);
    const after = await inspector.load(conv);
    expect(Number(after!.etag)).toBe(Number(before!.etag) + 2); // the landed save, then the mark cleared
    expect(after!.inDoubt).toBeUndefined();
    expect(seen(await say(b, conv, 'no'))).toEqual(shown[4]);
  });

  it('when the same activity arrives twice, on two replicas, then it is applied once and the replies are sent again', async () => {
    const conv = 'dup-1';
    await say(a, conv, 'hi');
    const first = await say(a, conv, 'can you check my symptoms', 'dup-activity');
    const version = Number((await inspector.load(conv))!.etag);
    const second = await say(b, conv, 'can you check my symptoms', 'dup-activity');
    expect(second.status).toBe(200);
    expect(seen(second)).toEqual(seen(first));
    expect(Number((await inspector.load(conv))!.etag)).toBe(version);
  });
});
