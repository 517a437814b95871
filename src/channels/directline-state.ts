/**
 * Where the local Direct Line keeps its web chat conversations: who the user is, and the activity
 * log the page polls with a watermark. In this process by default; with REDIS_URL in Redis, so the
 * page keeps its chat across a restart and any replica can answer any poll (no sticky sessions).
 *
 * Both keep the same limits: activities per conversation (the oldest dropped), conversations idle
 * longer than the idle time forgotten, and a cap on live conversations (a new one beyond it is
 * refused). Sequence numbers (the watermark) are given out atomically, so two replicas appending
 * to one conversation never reuse one.
 *
 * Redis layout (prefix `clinicbot:dl:`): `<id>` a hash {userId, locale, next}, `<id>:log` a sorted
 * set of activity JSON scored by sequence number, `live` a sorted set of conversation ids scored by
 * last use. Every use renews the time-to-live of the first two (the idle time).
 */
import type { Redis } from 'ioredis';

export interface DlConversation {
  id: string;
  userId: string;
  locale?: string;
}

export type Activity = Record<string, unknown>;

export interface DirectLineState {
  /** Create unless it exists (then it is touched); 'full' when the live cap is reached. */
  create(conversation: DlConversation): Promise<'created' | 'exists' | 'full'>;
  /** The conversation, touched (its idle time starts again); undefined when unknown or forgotten. */
  get(id: string): Promise<DlConversation | undefined>;
  /**
   * Append activities in order; each is built with its sequence number. Resolves to the first
   * sequence number, or undefined when the conversation is gone.
   */
  append(id: string, build: Array<(seq: number) => Activity>): Promise<number | undefined>;
  /** Activities after a sequence number (-1: all kept), and the last sequence number among them. */
  after(id: string, seq: number): Promise<{ activities: Activity[]; last?: number }>;
  /** Drop the activities kept so far ("forget me"); sequence numbers go on from where they were. */
  clear(id: string): Promise<void>;
  close?(): Promise<void>;
}

export interface StateLimits {
  maxActivities: number;
  idleMs: number;
  maxConversations: number;
}

const SWEEP_EVERY_MS = 60_000;

/** In this process (the embedded default): lost on restart, one replica only. */
export class MemoryDirectLineState implements DirectLineState {
  private readonly conversations = new Map<
    string,
    DlConversation & { log: Array<{ seq: number; activity: Activity }>; next: number; lastSeen: number }
  >();
  private lastSweep = 0;

  constructor(
    private readonly limits: StateLimits,
    private readonly clock: () => number,
    private readonly onForget: (id: string) => void = () => undefined,
  ) {}

  async create(conversation: DlConversation): Promise<'created' | 'exists' | 'full'> {
    this.sweep();
    const existing = this.conversations.get(conversation.id);
    if (existing) {
      existing.lastSeen = this.clock();
      return 'exists';
    }
    if (this.conversations.size >= this.limits.maxConversations) return 'full';
    this.conversations.set(conversation.id, { ...conversation, log: [], next: 0, lastSeen: this.clock() });
    return 'created';
  }

  async get(id: string): Promise<DlConversation | undefined> {
    this.sweep();
    const conversation = this.conversations.get(id);
    if (!conversation) return undefined;
    conversation.lastSeen = this.clock();
    return { id: conversation.id, userId: conversation.userId, locale: conversation.locale };
  }

  async append(id: string, build: Array<(seq: number) => Activity>): Promise<number | undefined> {
    const conversation = this.conversations.get(id);
    if (!conversation) return undefined;
    const first = conversation.next;
    for (const make of build) {
      const seq = conversation.next++;
      conversation.log.push({ seq, activity: make(seq) });
    }
    const excess = conversation.log.length - this.limits.maxActivities;
    if (excess > 0) conversation.log.splice(0, excess);
    return first;
  }

  async after(id: string, seq: number): Promise<{ activities: Activity[]; last?: number }> {
    const log = this.conversations.get(id)?.log ?? [];
    const entries = log.filter((e) => e.seq > seq);
    return { activities: entries.map((e) => e.activity), last: entries.at(-1)?.seq };
  }

  async clear(id: string): Promise<void> {
    const conversation = this.conversations.get(id);
    if (conversation) conversation.log.length = 0;
  }

  private sweep(): void {
    const now = this.clock();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [id, conversation] of this.conversations) {
      if (now - conversation.lastSeen > this.limits.idleMs) {
        this.conversations.delete(id);
        this.onForget(id);
      }
    }
  }
}

/** The sequence number's place in an activity's JSON (its id, the first key), filled in by Redis. */
const SEQ = '@@SEQ@@';

/** KEYS: hash, live set. ARGV: userId, locale, ttlMs, now, forget-before, max, id. 1 created, 0 exists, -1 full. */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[7])
  return 0
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then return -1 end
redis.call('HSET', KEYS[1], 'userId', ARGV[1], 'locale', ARGV[2], 'next', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[7])
return 1
`;

/** KEYS: hash, log, live set. ARGV: ttlMs, now, id. The user id and locale, or nil. */
const TOUCH = `
local v = redis.call('HMGET', KEYS[1], 'userId', 'locale')
if not v[1] then return nil end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
return v
`;

/** KEYS: hash, log. ARGV: max activities, ttlMs, activity JSON... The first sequence number, or -1. */
const APPEND = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = #ARGV - 2
local next = redis.call('HINCRBY', KEYS[1], 'next', n)
local first = next - n
for i = 1, n do
  local seq = first + i - 1
  local json = string.gsub(ARGV[i + 2], '${SEQ}', string.format('%07d', seq), 1)
  redis.call('ZADD', KEYS[2], seq, json)
end
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[1])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra - 1) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return first
`;

type DlRedis = Redis & {
  dlCreate(...args: string[]): Promise<number>;
  dlTouch(...args: string[]): Promise<[string, string | null] | null>;
  dlAppend(...args: string[]): Promise<number>;
};

/** In Redis, shared by every replica and kept across restarts (for the idle time). */
export class RedisDirectLineState implements DirectLineState {
  private readonly redis: DlRedis;

  constructor(
    redis: Redis,
    private readonly limits: StateLimits,
    private readonly clock: () => number,
    private readonly prefix = 'clinicbot:dl:',
  ) {
    this.redis = redis as DlRedis;
    this.redis.defineCommand('dlCreate', { numberOfKeys: 2, lua: CREATE });
    this.redis.defineCommand('dlTouch', { numberOfKeys: 3, lua: TOUCH });
    this.redis.defineCommand('dlAppend', { numberOfKeys: 2, lua: APPEND });
  }

  async create(conversation: DlConversation): Promise<'created' | 'exists' | 'full'> {
    const now = this.clock();
    const result = await this.redis.dlCreate(
      this.key(conversation.id),
      `${this.prefix}live`,
      conversation.userId,
      conversation.locale ?? '',
      String(this.limits.idleMs),
      String(now),
      String(now - this.limits.idleMs),
      String(this.limits.maxConversations),
      conversation.id,
    );
    return result === 1 ? 'created' : result === 0 ? 'exists' : 'full';
  }

  async get(id: string): Promise<DlConversation | undefined> {
    const found = await this.redis.dlTouch(
      this.key(id),
      `${this.key(id)}:log`,
      `${this.prefix}live`,
      String(this.limits.idleMs),
      String(this.clock()),
      id,
    );
    if (!found?.[0]) return undefined;
    return { id, userId: found[0], ...(found[1] ? { locale: found[1] } : {}) };
  }

  async append(id: string, build: Array<(seq: number) => Activity>): Promise<number | undefined> {
    if (build.length === 0) return undefined;
    // Built with a placeholder sequence number in the id, which must be the first key, so the
    // script's first match is the id and never anything the user wrote.
    const json = build.map((make) => {
      const { id: _id, ...rest } = make(-1);
      return JSON.stringify({ id: `${id}|${SEQ}`, ...rest });
    });
    const first = await this.redis.dlAppend(
      this.key(id),
      `${this.key(id)}:log`,
      String(this.limits.maxActivities),
      String(this.limits.idleMs),
      ...json,
    );
    return first < 0 ? undefined : first;
  }

  async after(id: string, seq: number): Promise<{ activities: Activity[]; last?: number }> {
    const flat = await this.redis.zrangebyscore(`${this.key(id)}:log`, `(${seq}`, '+inf', 'WITHSCORES');
    const activities: Activity[] = [];
    let last: number | undefined;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      activities.push(JSON.parse(flat[i]!) as Activity);
      last = Number(flat[i + 1]);
    }
    return { activities, last };
  }

  async clear(id: string): Promise<void> {
    await this.redis.del(`${this.key(id)}:log`);
  }

  private key(id: string): string {
    return `${this.prefix}${id}`;
  }
}
