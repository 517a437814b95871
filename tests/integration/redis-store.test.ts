import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createStore } from '../../src/storage/create-store.js';
import { RedisStore } from '../../src/storage/redis-store.js';
import { MemoryStore, type ConversationRecord } from '../../src/storage/store.js';
import { redisAvailability, startRedis, type TestRedis } from '../helpers/redis.js';
import { LogSink, messageActivity, post, REAL_KNOWLEDGE, ROOT } from '../helpers/service.js';

const { available, note } = redisAvailability();

async function waitFor(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting for the condition');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const succeeds = (p: Promise<unknown>) =>
  p.then(
    () => true,
    () => false,
  );

describe.skipIf(!available)(`RedisStore against a real redis-server${note}`, () => {
  let server: TestRedis;
  let raw: Redis;
  const logs = new LogSink();
  const log = pino({ level: 'debug' }, logs);
  const stores: RedisStore[] = [];
  const open = (extra: { ttlMs?: number; keyPrefix?: string } = {}) => {
    const store = new RedisStore({
      url: server.url,
      ttlMs: extra.ttlMs ?? 60_000,
      log,
      keyPrefix: extra.keyPrefix,
    });
    stores.push(store);
    return store;
  };
  let n = 0;
  const newId = () => `conv-${process.pid}-${++n}`;
  const record = (lastSeen: number): ConversationRecord => ({ v: 1, lastSeen });

  beforeAll(async () => {
    server = await startRedis({ persistent: true });
    raw = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    raw.on('error', () => undefined); // the outage test stops the server under it
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    raw?.disconnect();
    await server?.close();
  });

  it('when a record is saved and loaded, then it comes back the same with a version etag, stored compactly under the prefix', async () => {
    const store = open();
    const id = newId();
    expect(await store.load(id)).toBeUndefined();
    const saved: ConversationRecord = {
      v: 1,
      lastSeen: 42,
      dialog: { machineId: 'm', version: 3, snapshot: { a: [1] } },
    };
    expect(await store.save(id, saved, undefined)).toBe(true);
    const loaded = await store.load(id);
    expect(loaded?.record).toEqual(saved);
    expect(loaded?.etag).toBe('1');
    const value = await raw.get(`clinicbot:conv:${id}`);
    expect(value).toBe(`1:${JSON.stringify(saved)}`);
  });

  it('when two saves carry the same etag, then exactly one wins and the version goes up by one', async () => {
    const a = open();
    const b = open();
    const id = newId();
    expect(await a.save(id, record(0), undefined)).toBe(true);
    const seen = (await a.load(id))!;
    const results = await Promise.all([a.save(id, record(1), seen.etag), b.save(id, record(2), seen.etag)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const after = (await b.load(id))!;
    expect(after.etag).toBe('2');
    expect(after.record.lastSeen).toBe(results[0] ? 1 : 2);
    // The loser's etag is stale now: saving with it again is refused too.
    expect(await a.save(id, record(3), seen.etag)).toBe(false);
    expect(await a.save(id, record(4), after.etag)).toBe(true);
    expect((await a.load(id))!.etag).toBe('3');
  });

  it('when many replicas race to create the same new conversation, then exactly one create wins', async () => {
    const contenders = [open(), open(), open(), open()];
    const id = newId();
    const results = await Promise.all(contenders.map((s, i) => s.save(id, record(i), undefined)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect((await contenders[0]!.load(id))!.record.lastSeen).toBe(winner);
  });

  it('when a save names an etag but nothing is stored (expired or forgotten), then it is refused', async () => {
    const store = open();
    expect(await store.save(newId(), record(1), '7')).toBe(false);
  });

  it('when a save is made, then the time-to-live is set on it, and every later save sets it again', async () => {
    const store = open({ ttlMs: 60_000 });
    const id = newId();
    const key = store.key(id);
    await store.save(id, record(1), undefined);
    const first = await raw.pttl(key);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(60_000);
    await raw.pexpire(key, 5_000);
    await store.save(id, record(2), '1');
    expect(await raw.pttl(key)).toBeGreaterThan(5_000);
  });

  it('when the time-to-live passes, then the conversation is gone and can start afresh', async () => {
    const store = open({ ttlMs: 200 });
    const id = newId();
    expect(await store.save(id, record(1), undefined)).toBe(true);
    await waitFor(async () => (await store.load(id)) === undefined);
    expect(await raw.exists(store.key(id))).toBe(0);
    expect(await store.save(id, record(2), undefined)).toBe(true);
    expect((await store.load(id))!.etag).toBe('1');
  });

  it('when a conversation is deleted, then nothing is stored under its key and other conversations stay', async () => {
    const store = open();
    const gone = newId();
    const kept = newId();
    await store.save(gone, record(1), undefined);
    await store.save(kept, record(1), undefined);
    await store.delete(gone);
    expect(await raw.exists(store.key(gone))).toBe(0);
    expect(await store.load(gone)).toBeUndefined();
    expect(await store.load(kept)).toBeDefined();
    await expect(store.delete(newId())).resolves.toBeUndefined();
  });

  it('when a key prefix is configured, then records live under it and stores with other prefixes do not see them', async () => {
    const mine = open({ keyPrefix: 'tenant-a:' });
    const other = open({ keyPrefix: 'tenant-b:' });
    const id = newId();
    await mine.save(id, record(1), undefined);
    expect(await raw.exists(`tenant-a:${id}`)).toBe(1);
    expect(await other.load(id)).toBeUndefined();
  });

  it.each([
    ['not JSON', '5:{oops'],
    ['JSON that is not an object', '5:[1,2]'],
    ['no version', 'garbage'],
  ])(
    'when the stored value is %s, then load gives an empty record whose save replaces it',
    async (_label, value) => {
      const store = open();
      const id = newId();
      await raw.set(store.key(id), value);
      const loaded = (await store.load(id))!;
      expect(loaded.record).toEqual({ v: 1 });
      expect(await store.save(id, record(9), loaded.etag)).toBe(true);
      expect((await store.load(id))!.record.lastSeen).toBe(9);
    },
  );

  it('when redis-server stops, then every operation fails fast instead of hanging or crashing, and the same store recovers by itself when it is back', async () => {
    const store = open();
    const id = newId();
    await store.ping();
    await store.save(id, record(1), undefined);
    await server.stop();
    try {
      await waitFor(async () => !(await succeeds(store.ping())));
      await expect(store.load(id)).rejects.toBeInstanceOf(Error);
      await expect(store.save(id, record(2), '1')).rejects.toBeInstanceOf(Error);
      await expect(store.delete(id)).rejects.toBeInstanceOf(Error);
    } finally {
      await server.start();
    }
    await waitFor(() => succeeds(store.ping()), 15_000);
    // The data survived the restart (append-only file) and the version goes on.
    expect((await store.load(id))!.etag).toBe('1');
    expect(await store.save(id, record(2), '1')).toBe(true);
    const lines = logs.records();
    expect(
      lines.some((l) => l.msg === 'conversation storage connection lost; reconnecting in the background'),
    ).toBe(true);
    expect(lines.some((l) => l.msg === 'conversation storage reconnected')).toBe(true);
  });

  it('when a store is closed, then it stops reconnecting and further calls reject', async () => {
    const store = open();
    await store.ping();
    await store.close();
    await expect(store.ping()).rejects.toBeInstanceOf(Error);
    await expect(store.close()).resolves.toBeUndefined();
  });
});

describe(`createStore${note}`, () => {
  const log = pino({ level: 'silent' });

  it('when REDIS_URL is not set, then state is kept in memory', async () => {
    const store = createStore({ stateTtlSeconds: 60 }, log);
    expect(store).toBeInstanceOf(MemoryStore);
    await store.close();
  });

  it.skipIf(!available)(
    'when REDIS_URL is set, then state goes to Redis with the configured time-to-live',
    async () => {
      const server = await startRedis();
      const raw = new Redis(server.url);
      const store = createStore({ redisUrl: server.url, stateTtlSeconds: 3600 }, log);
      try {
        expect(store).toBeInstanceOf(RedisStore);
        await store.save('c-factory', { v: 1 }, undefined);
        const ttl = await raw.pttl((store as RedisStore).key('c-factory'));
        expect(ttl).toBeGreaterThan(3_000_000);
        expect(ttl).toBeLessThanOrEqual(3_600_000);
      } finally {
        await store.close();
        raw.disconnect();
        await server.close();
      }
    },
  );

  it('when REDIS_URL points at nothing, then the store is created anyway and reports not ready instead of crashing', async () => {
    const store = createStore({ redisUrl: 'redis://127.0.0.1:1', stateTtlSeconds: 60 }, log);
    try {
      await expect(store.ping()).rejects.toBeInstanceOf(Error);
      await expect(store.load('x')).rejects.toBeInstanceOf(Error);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!available)(`the server process with REDIS_URL set${note}`, () => {
  const triage = parse(readFileSync(path.join(ROOT, 'tests/conversations/triage.yaml'), 'utf8')) as {
    conversations: Array<{ name: string; turns: Array<{ user: string }> }>;
  };
  const say = (app: { url: string }, conversationId: string, text: string) =>
    post(app.url, messageActivity(text, { conversation: { id: conversationId } }));

  let redis: TestRedis;
  let inspector: RedisStore;
  const children: Array<ReturnType<typeof spawn>> = [];

  async function startProcess(redisUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
    // node itself with the tsx loader (not the tsx wrapper), so killing the child kills the server.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        LOG_FORMAT: 'json',
        PORT: '0',
        HOST: '127.0.0.1',
        KNOWLEDGE_DIR: REAL_KNOWLEDGE,
        REDIS_URL: redisUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.resume();
    await waitFor(() => out.includes('"bot ready"') || child.exitCode !== null, 20_000);
    const line = out.split('\n').find((l) => l.includes('"bot ready"'));
    if (!line) throw new Error(`the process did not start:\n${out.slice(-2000)}`);
    return {
      url: (JSON.parse(line) as { url: string }).url,
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      },
    };
  }

  beforeAll(async () => {
    redis = await startRedis();
    inspector = new RedisStore({ url: redis.url, ttlMs: 3_600_000, log: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await inspector?.close();
    await redis?.close();
  });

  it('when two processes share Redis and one is restarted in the middle of a symptom check, then every turn lands on top of the last one', async () => {
    const conversation = triage.conversations[0]!;
    const id = 'process-restart';
    const [first, b] = await Promise.all([startProcess(redis.url), startProcess(redis.url)]);
    let a = first;
    try {
      const half = Math.ceil(conversation.turns.length / 2);
      for (const [t, turn] of conversation.turns.entries()) {
        if (t === half) {
          await a.stop();
          a = await startProcess(redis.url);
        }
        const res = await say(t % 2 === 0 ? a : b, id, turn.user);
        expect(res.status).toBe(200);
        const loaded = await inspector.load(id);
        expect(Number(loaded?.etag), `turn ${t + 1}`).toBe(t + 1);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 45_000);
});
