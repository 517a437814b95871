/**
 * Two replicas of the service sharing one real Redis: turns of one conversation alternating
 * between them, concurrent messages, Redis restarted, a replica restarted, "forget me".
 *
 * Behaviour is read from the HTTP API and the stored records, never from the brain's wording: the
 * first test runs whatever brain buildService wires by default, the others a counting test brain.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Brain } from '../../src/bot/brain.js';
import { ErrorCodes } from '../../src/errors.js';
import { renderText } from '../../src/knowledge/render.js';
import { createStore } from '../../src/storage/create-store.js';
import { RedisStore } from '../../src/storage/redis-store.js';
import type { ConversationRecord, ConversationStore } from '../../src/storage/store.js';
import { redisAvailability, startRedis, type TestRedis } from '../helpers/redis.js';
import {
  messageActivity,
  post,
  REAL_KNOWLEDGE,
  ROOT,
  startService,
  type Running,
} from '../helpers/service.js';

const { available, note } = redisAvailability();
const silent = pino({ level: 'silent' });

/** A record the counting brain writes: every message text it applied, in order. */
type Counted = ConversationRecord & { applied?: string[] };

/**
 * A test brain that appends each message to the record and says nothing (so the only reply a
 * patient can get is the host's apology). "forget me" asks for the record to be deleted.
 */
const countingBrain: Brain = {
  turn(record, input, now) {
    if (input.kind === 'message' && input.text === 'forget me') {
      return { record: { v: 1 }, replies: [], outcome: { forget: true } };
    }
    const applied = [...((record as Counted | undefined)?.applied ?? [])];
    if (input.kind === 'message') applied.push(input.text);
    const next: Counted = { v: 1, lastSeen: now, applied };
    return { record: next, replies: [], outcome: {} };
  },
};

/** Loads wait a little before returning, so turns on two replicas surely overlap. */
function slowLoads(store: ConversationStore, ms: number): ConversationStore {
  return {
    load: async (id) => {
      const loaded = await store.load(id);
      await new Promise((r) => setTimeout(r, ms));
      return loaded;
    },
    save: (id, record, etag) => store.save(id, record, etag),
    delete: (id) => store.delete(id),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

interface TranscriptTurn {
  user: string;
}
const triage = parse(readFileSync(path.join(ROOT, 'tests/conversations/triage.yaml'), 'utf8')) as {
  conversations: Array<{ name: string; turns: TranscriptTurn[] }>;
};

/** What the patient sees of a reply, without ids and timestamps. */
function seen(activities: any[] | undefined): unknown[] {
  return (activities ?? []).map((a) => ({
    type: a.type,
    text: a.text,
    actions: a.suggestedActions?.actions?.map((x: any) => [x.type, x.title, x.value]),
    attachments: a.attachments?.length ?? 0,
  }));
}

async function waitFor(check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting for the condition');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const say = (app: { url: string }, conversationId: string, text: string) =>
  post(app.url, messageActivity(text, { conversation: { id: conversationId } }));

const readyz = async (app: { url: string }) => (await fetch(`${app.url}/readyz`)).status;

describe.skipIf(!available)(`two replicas sharing one Redis${note}`, () => {
  let redis: TestRedis;
  let raw: Redis;
  let inspector: RedisStore;
  const running: Running[] = [];

  /** One replica: its own service and its own connection to the shared Redis. */
  async function replica(
    options: { brain?: Brain; clock?: () => number; slowLoadMs?: number } = {},
  ): Promise<Running> {
    const store = createStore({ redisUrl: redis.url, stateTtlSeconds: 3600 }, silent);
    const app = await startService(
      {
        REDIS_URL: redis.url,
        KNOWLEDGE_DIR: REAL_KNOWLEDGE,
        SHUTDOWN_GRACE_MS: '2000',
      },
      {
        store: options.slowLoadMs ? slowLoads(store, options.slowLoadMs) : store,
        brain: options.brain,
        clock: options.clock,
      },
    );
    running.push(app);
    return app;
  }

  /** The stored record of a conversation and its version (the etag counts saves). */
  async function stored(conversationId: string): Promise<{ version: number; record: Counted } | undefined> {
    const loaded = await inspector.load(conversationId);
    return loaded && { version: Number(loaded.etag), record: loaded.record as Counted };
  }

  beforeAll(async () => {
    redis = await startRedis({ persistent: true });
    raw = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    raw.on('error', () => undefined); // one test restarts the server under it
    inspector = new RedisStore({ url: redis.url, ttlMs: 3_600_000, log: silent });
  });
  afterAll(async () => {
    await Promise.all(running.map((r) => r.close()));
    await inspector?.close();
    raw?.disconnect();
    await redis?.close();
  });

  it('when the turns of whole symptom checks alternate between two replicas, then every turn is saved on top of the last and the patient sees exactly what one replica alone shows', async () => {
    const clock = () => Date.UTC(2025, 0, 14, 10, 0, 0);
    const a = await replica({ clock });
    const b = await replica({ clock });
    // The reference: one replica on the embedded in-memory store.
    const alone = await startService({ KNOWLEDGE_DIR: REAL_KNOWLEDGE }, { clock });
    running.push(alone);
    expect(triage.conversations.length).toBeGreaterThan(0);
    for (const [c, conversation] of triage.conversations.entries()) {
      const shared = `alternate-${c}`;
      const single = `single-${c}`;
      for (const [t, turn] of conversation.turns.entries()) {
        const [viaReplicas, viaOne] = await Promise.all([
          say(t % 2 === 0 ? a : b, shared, turn.user),
          say(alone, single, turn.user),
        ]);
        expect(viaReplicas.status).toBe(200);
        expect(seen(viaReplicas.json?.activities), `${conversation.name}, turn ${t + 1}`).toEqual(
          seen(viaOne.json?.activities),
        );
        expect((await stored(shared))?.version, `${conversation.name}, turn ${t + 1}`).toBe(t + 1);
      }
    }
  }, 60_000);

  it('when messages of one conversation reach both replicas at the same moment, then every one of them is applied exactly once', async () => {
    const a = await replica({ brain: countingBrain, slowLoadMs: 30 });
    const b = await replica({ brain: countingBrain, slowLoadMs: 30 });
    const id = 'concurrent';
    // Four a replica: a turn can lose a compare-and-set only to a save by the other replica, so
    // each turn succeeds within the turn runner's five attempts.
    const texts = Array.from({ length: 8 }, (_, i) => `m${i + 1}`);
    const results = await Promise.all(texts.map((text, i) => say(i % 2 === 0 ? a : b, id, text)));
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.json?.activities ?? []).toEqual([]); // no apology: every turn succeeded
    }
    const after = (await stored(id))!;
    expect([...(after.record.applied ?? [])].sort()).toEqual([...texts].sort());
    expect(after.version).toBe(texts.length);
  });

  it('when Redis stops in the middle of a conversation, then patients get the storage apology, /readyz says not ready, and the conversation carries on when Redis is back', async () => {
    const a = await replica({ brain: countingBrain });
    const b = await replica({ brain: countingBrain });
    const id = 'outage';
    await say(a, id, 'm1');
    await say(b, id, 'm2');
    const apology = renderText(a.service.knowledge, ErrorCodes.STORAGE_UNAVAILABLE.patientKey);
    await redis.stop();
    try {
      for (const app of [a, b]) {
        const res = await say(app, id, 'lost');
        expect(res.status).toBe(200);
        expect(res.json.activities.map((x: any) => x.text)).toEqual([apology]);
        const ready = await fetch(`${app.url}/readyz`);
        expect(ready.status).toBe(503);
        expect(((await ready.json()) as any).checks.storage).toBe('failing');
        expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
      }
      expect(a.logs.records().some((r) => r.code === ErrorCodes.STORAGE_UNAVAILABLE.code)).toBe(true);
    } finally {
      await redis.start();
    }
    await waitFor(async () => (await readyz(a)) === 200 && (await readyz(b)) === 200);
    expect((await say(a, id, 'm3')).json?.activities ?? []).toEqual([]);
    expect((await say(b, id, 'm4')).json?.activities ?? []).toEqual([]);
    const after = (await stored(id))!;
    expect(after.record.applied).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(after.version).toBe(4);
  });

  it('when a replica is restarted in the middle of a conversation, then the new one continues where it was', async () => {
    const a = await replica({ brain: countingBrain });
    const b = await replica({ brain: countingBrain });
    const id = 'replica-restart';
    await say(a, id, 'm1');
    await say(b, id, 'm2');
    await say(a, id, 'm3');
    await a.close();
    const a2 = await replica({ brain: countingBrain });
    await say(a2, id, 'm4');
    await say(b, id, 'm5');
    await say(a2, id, 'm6');
    const after = (await stored(id))!;
    expect(after.record.applied).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(after.version).toBe(6);
  });

  it('when the patient asks to be forgotten on one replica, then the conversation key is deleted from Redis and the other replica starts afresh', async () => {
    const a = await replica({ brain: countingBrain });
    const b = await replica({ brain: countingBrain });
    const id = 'forget';
    await say(a, id, 'm1');
    await say(b, id, 'm2');
    expect(await raw.exists(inspector.key(id))).toBe(1);
    const res = await say(a, id, 'forget me');
    expect(res.status).toBe(200);
    expect(await raw.exists(inspector.key(id))).toBe(0);
    await say(b, id, 'm3');
    const after = (await stored(id))!;
    expect(after.record.applied).toEqual(['m3']);
    expect(after.version).toBe(1);
  });
});
