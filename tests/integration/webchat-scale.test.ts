/**
 * Web Chat behind a load balancer (issue 13, defects 6 and 9): the client address is taken from
 * the trusted proxy hops only, and with REDIS_URL the Direct Line conversations, watermarks and
 * rate limits are shared by replicas and survive a restart. Two replicas of the real service on
 * one real redis-server, requests alternating between them.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAddress } from '../../src/channels/rate-limits.js';
import { createStore } from '../../src/storage/create-store.js';
import { redisAvailability, startRedis, type TestRedis } from '../helpers/redis.js';
import { REAL_KNOWLEDGE, startService, type Running } from '../helpers/service.js';

const { available, note } = redisAvailability();
const silent = pino({ level: 'silent' });
const DL = '/v3/directline';
const SECRET = 'a-shared-web-chat-token-secret-of-32+chars';

async function call(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

describe('the client address behind proxies (defect 6)', () => {
  const req = (xff: string | undefined, socket = '10.0.0.2') =>
    ({
      headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
      socket: { remoteAddress: socket },
    }) as any;

  it('when no proxy is trusted, then X-Forwarded-For is ignored', () => {
    expect(clientAddress(req('1.1.1.1'), 0)).toBe('10.0.0.2');
  });

  it('when one proxy is trusted, then the address it appended (the rightmost) is the client, whatever the client wrote', () => {
    expect(clientAddress(req('6.6.6.6, 203.0.113.9'), 1)).toBe('203.0.113.9');
    expect(clientAddress(req('203.0.113.9'), 1)).toBe('203.0.113.9');
  });

  it('when two proxies are trusted, then the second address from the right is the client', () => {
    expect(clientAddress(req('6.6.6.6, 203.0.113.9, 172.16.0.4'), 2)).toBe('203.0.113.9');
  });

  it('when a request has fewer addresses than trusted hops, then the leftmost one is used', () => {
    expect(clientAddress(req(undefined), 1)).toBe('10.0.0.2');
  });

  it('when a client rotates the address it claims behind one trusted proxy, then it still gets only its own token allowance', async () => {
    const app = await startService({ WEBCHAT_TRUST_PROXY: '1', WEBCHAT_TOKENS_PER_IP_PER_MINUTE: '3' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const forged = `198.51.100.${i}, 203.0.113.9`; // the proxy appended the real address
        statuses.push(
          (await call(app.url, 'POST', '/api/webchat/token', { headers: { 'x-forwarded-for': forged } }))
            .status,
        );
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(3);
      expect(statuses.filter((s) => s === 429)).toHaveLength(5);
      // Another real client behind the same proxy is not affected.
      const other = await call(app.url, 'POST', '/api/webchat/token', {
        headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.10' },
      });
      expect(other.status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe.skipIf(!available)(`Web Chat on two replicas sharing one Redis (defects 6 and 9)${note}`, () => {
  let redis: TestRedis;
  const running: Running[] = [];

  async function replica(env: Record<string, string> = {}): Promise<Running> {
    const app = await startService(
      {
        REDIS_URL: redis.url,
        KNOWLEDGE_DIR: REAL_KNOWLEDGE,
        WEBCHAT_TOKEN_SECRET: SECRET,
        SHUTDOWN_GRACE_MS: '2000',
        ...env,
      },
      { store: createStore({ redisUrl: redis.url, stateTtlSeconds: 3600 }, silent) },
    );
    running.push(app);
    return app;
  }

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(running.map((r) => r.close()));
    await redis?.close();
  });

  it('when every request goes to the other replica, then the chat works with one watermark, and survives both replicas restarting', async () => {
    let a = await replica();
    let b = await replica();
    const issued = await call(a.url, 'POST', '/api/webchat/token');
    expect(issued.status).toBe(200);
    const { conversationId } = issued.json;
    const token = issued.json.token as string;
    expect((await call(b.url, 'POST', `${DL}/conversations`, { token, body: {} })).status).toBe(201);
    const activities = `${DL}/conversations/${conversationId}/activities`;

    const welcome = await call(a.url, 'GET', activities, { token });
    expect(welcome.status).toBe(200);
    expect(welcome.json.activities.length).toBeGreaterThan(0);
    let watermark = welcome.json.watermark as string;
    const seenIds = new Set<string>(welcome.json.activities.map((x: any) => x.id));

    const texts = ['can you check my symptoms', 'yes ok', 'no'];
    for (const [i, text] of texts.entries()) {
      const [postTo, pollFrom] = i % 2 === 0 ? [b, a] : [a, b];
      const posted = await call(postTo.url, 'POST', activities, {
        token,
        body: { type: 'message', text, from: { id: 'x' } },
      });
      expect(posted.status).toBe(200);
      const polled = await call(pollFrom.url, 'GET', `${activities}?watermark=${watermark}`, { token });
      expect(polled.status).toBe(200);
      const got = polled.json.activities as any[];
      // The echo of the message and at least one bot reply, none seen before, in order.
      expect(got[0].id).toBe(posted.json.id);
      expect(got[0].text).toBe(text);
      expect(got.slice(1).some((x) => x.from.role === 'bot')).toBe(true);
      for (const x of got) {
        expect(seenIds.has(x.id)).toBe(false);
        seenIds.add(x.id);
      }
      expect(Number(polled.json.watermark)).toBeGreaterThan(Number(watermark));
      watermark = polled.json.watermark;
    }

    // Both replicas restart (a deploy): the page's next poll still finds its conversation.
    await Promise.all([a.close(), b.close()]);
    a = await replica();
    b = await replica();
    const afterRestart = await call(a.url, 'GET', `${activities}?watermark=${watermark}`, { token });
    expect(afterRestart.status).toBe(200);
    expect(afterRestart.json.activities).toEqual([]);
    const all = await call(b.url, 'GET', activities, { token });
    expect(all.json.activities.map((x: any) => x.id)).toEqual([...seenIds]);
    // And the conversation goes on where it was.
    const posted = await call(b.url, 'POST', activities, {
      token,
      body: { type: 'message', text: 'no', from: { id: 'x' } },
    });
    expect(posted.status).toBe(200);
    const next = await call(a.url, 'GET', `${activities}?watermark=${watermark}`, { token });
    expect(next.json.activities[0].id).toBe(posted.json.id);
  });

  it('when two replicas answer in turn, then the new-conversation limit per address is shared, not doubled', async () => {
    // Start from clean counters: the test above asked for a token from this address too.
    const raw = new Redis(redis.url);
    await raw.flushdb();
    raw.disconnect();
    const env = { WEBCHAT_TOKENS_PER_IP_PER_MINUTE: '4' };
    const a = await replica(env);
    const b = await replica(env);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await call((i % 2 ? b : a).url, 'POST', '/api/webchat/token')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
  });

  it('when Redis keeps the Direct Line state, then the activity limit still drops the oldest', async () => {
    const a = await replica({ WEBCHAT_MAX_ACTIVITIES: '10' });
    const issued = await call(a.url, 'POST', '/api/webchat/token');
    const { token, conversationId } = issued.json;
    await call(a.url, 'POST', `${DL}/conversations`, { token, body: {} });
    const activities = `${DL}/conversations/${conversationId}/activities`;
    for (let i = 0; i < 6; i++) {
      await call(a.url, 'POST', activities, {
        token,
        body: { type: 'message', text: 'what is sciatica', from: { id: 'x' } },
      });
    }
    const all = await call(a.url, 'GET', activities, { token });
    expect(all.json.activities).toHaveLength(10);
    const seqs = all.json.activities.map((x: any) => Number(String(x.id).split('|')[1]));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(seqs[0]).toBeGreaterThan(0);
  });
});
