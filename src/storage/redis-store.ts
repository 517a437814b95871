/**
 * Conversation state in Redis, shared by every replica, with compare-and-set.
 *
 * One string key a conversation, `<prefix><conversationId>`, holding `<version>:<record JSON>`.
 * The version is the etag: a Lua script saves only when the stored version is still the one the
 * turn loaded (or, for a new conversation, when nothing is stored), bumps it by one and sets the
 * time-to-live on every save. Redis runs a script atomically, so of two replicas saving the same
 * version exactly one wins and the other runs its turn again on fresh state.
 *
 * A save that times out may still be applied by Redis later (the command was sent). The turn runner
 * then writes an in-doubt mark, `doubt:<conversation key>`, on the same connection (so it lands
 * after the save, if that lands at all); `load` reads it with the record in one MGET, and the next
 * successful save deletes it in the same script.
 *
 * Redis being down never crashes the process: commands fail fast (no offline queue, a command
 * timeout, nothing re-sent after a reconnect) and surface as rejected promises; the client keeps
 * reconnecting in the background, so the store recovers by itself when Redis is back.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ErrorCodes } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ConversationRecord, ConversationStore, InDoubt, Loaded } from './store.js';

export const DEFAULT_KEY_PREFIX = 'clinicbot:conv:';

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL (may carry a password and a database number). */
  url: string;
  /** Time-to-live of a conversation, renewed on every save. */
  ttlMs: number;
  /** Connection state changes go here (no data, no password). */
  log: Logger;
  keyPrefix?: string;
  /** A command that gets no answer within this time fails. Default 2000. */
  commandTimeoutMs?: number;
  /** Readiness: PING must answer within this time. Default 1000. */
  pingTimeoutMs?: number;
  /** A command sent while the client is (re)connecting waits this long for the connection. Default 500. */
  connectWaitMs?: number;
}

/**
 * KEYS[1] the conversation key, KEYS[2] its in-doubt mark; ARGV[1] the expected version ('' =
 * nothing stored), ARGV[2] the record JSON, ARGV[3] the time-to-live in ms. Returns the new
 * version, or 0 on a conflict.
 */
const CAS_SAVE = `
local current = redis.call('GET', KEYS[1])
local version = 0
if current then
  local sep = string.find(current, ':', 1, true)
  local stored = sep and string.sub(current, 1, sep - 1) or current
  if ARGV[1] == '' or stored ~= ARGV[1] then return 0 end
  version = tonumber(stored) or 0
elseif ARGV[1] ~= '' then
  return 0
end
version = version + 1
redis.call('SET', KEYS[1], version .. ':' .. ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return version
`;

type CasRedis = Redis & {
  casSave(key: string, doubtKey: string, expected: string, json: string, ttlMs: string): Promise<number>;
};

export class RedisStore implements ConversationStore {
  readonly keyPrefix: string;
  private readonly redis: CasRedis;
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly pingTimeoutMs: number;
  private readonly connectWaitMs: number;
  private up = false;
  private everReady = false;
  private closed = false;
  private readyWait?: Promise<void>;

  constructor(options: RedisStoreOptions) {
    if (!(options.ttlMs >= 1)) throw new RangeError('ttlMs must be at least 1');
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.log = options.log;
    this.ttlMs = Math.round(options.ttlMs);
    this.pingTimeoutMs = options.pingTimeoutMs ?? 1000;
    this.connectWaitMs = options.connectWaitMs ?? 500;
    const clientOptions: RedisOptions = {
      // Fail fast instead of queueing while disconnected; never re-send a command after a
      // reconnect (a save the patient was told had failed must not land later).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      connectTimeout: 2000,
      // Keep reconnecting in the background for as long as the process lives.
      retryStrategy: (attempt) => Math.min(50 * attempt, 2000),
      reconnectOnError: () => false,
      lazyConnect: false,
    };
    this.redis = new Redis(options.url, clientOptions) as CasRedis;
    this.redis.defineCommand('casSave', { numberOfKeys: 2, lua: CAS_SAVE });
    this.watchConnection();
  }

  /** The Redis key of a conversation. */
  key(conversationId: string): string {
    return this.keyPrefix + conversationId;
  }

  /** The key of a conversation's in-doubt mark. */
  doubtKey(conversationId: string): string {
    return `doubt:${this.key(conversationId)}`;
  }

  async load(conversationId: string): Promise<Loaded | undefined> {
    await this.connected();
    const [value, doubt] = await this.redis.mget(this.key(conversationId), this.doubtKey(conversationId));
    if (value === null || value === undefined) return undefined;
    const inDoubt = doubt ? parseDoubt(doubt) : undefined;
    const withDoubt = <T extends Loaded>(loaded: T): T => (inDoubt ? { ...loaded, inDoubt } : loaded);
    const sep = value.indexOf(':');
    const etag = sep < 0 ? value : value.slice(0, sep);
    const record = sep < 0 ? undefined : parseRecord(value.slice(sep + 1));
    if (!record) {
      // Unreadable: hand the turn an empty record with the stored version, so its save replaces it.
      this.log.warn(
        { conversationId, code: ErrorCodes.STATE_UNREADABLE.code },
        'stored conversation state is unreadable',
      );
      return withDoubt({ record: { v: 1 }, etag });
    }
    return withDoubt({ record, etag });
  }

  async save(conversationId: string, record: ConversationRecord, etag: string | undefined): Promise<boolean> {
    await this.connected();
    const version = await this.redis.casSave(
      this.key(conversationId),
      this.doubtKey(conversationId),
      etag ?? '',
      JSON.stringify(record),
      String(this.ttlMs),
    );
    return version > 0;
  }

  async markInDoubt(conversationId: string, mark: InDoubt): Promise<void> {
    // No connected() wait: this goes out right behind the doubtful save, or not at all.
    await this.redis.set(this.doubtKey(conversationId), JSON.stringify(mark), 'PX', this.ttlMs);
  }

  async delete(conversationId: string): Promise<void> {
    await this.connected();
    await this.redis.del(this.key(conversationId), this.doubtKey(conversationId));
  }

  /**
   * Readiness. At start-up it waits a moment for the first connection; once connected, a lost
   * connection fails at once (no waiting for the reconnect during an outage).
   */
  async ping(): Promise<void> {
    if (!this.everReady) await this.connected();
    if (this.redis.status !== 'ready') throw new Error(`Redis is not connected (${this.redis.status})`);
    await withTimeout(this.redis.ping(), this.pingTimeoutMs, 'Redis did not answer PING in time');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status === 'ready') {
      try {
        await withTimeout(this.redis.quit(), this.pingTimeoutMs, 'Redis QUIT timed out');
      } catch {
        // Closing anyway below.
      }
    }
    this.redis.disconnect();
  }

  /** While the client is (re)connecting, wait a moment for it rather than failing at once. */
  private async connected(): Promise<void> {
    const status = this.redis.status;
    if (status === 'ready' || status === 'end' || this.closed) return;
    this.readyWait ??= new Promise<void>((resolve) => {
      const done = () => {
        this.redis.off('ready', done);
        this.redis.off('end', done);
        this.readyWait = undefined;
        resolve();
      };
      this.redis.once('ready', done);
      this.redis.once('end', done);
    });
    // Whatever happens, the command below runs (and fails fast when still not connected).
    await withTimeout(this.readyWait, this.connectWaitMs, '').catch(() => undefined);
  }

  private watchConnection(): void {
    const where = { store: 'redis', host: this.redis.options.host, port: this.redis.options.port };
    let errorLogged = false;
    this.redis.on('ready', () => {
      this.log.info(
        where,
        this.everReady ? 'conversation storage reconnected' : 'conversation storage connected',
      );
      this.everReady = true;
      this.up = true;
      errorLogged = false;
    });
    this.redis.on('error', (error: Error & { code?: string }) => {
      // Reconnect attempts fail again and again during an outage: warn once, then debug.
      const fields = {
        ...where,
        code: ErrorCodes.STORAGE_UNAVAILABLE.code,
        err: { name: error.name, code: error.code },
      };
      if (errorLogged) this.log.debug(fields, 'conversation storage still unreachable');
      else this.log.warn(fields, 'conversation storage unreachable; retrying in the background');
      errorLogged = true;
    });
    this.redis.on('close', () => {
      if (this.up && !this.closed) {
        this.log.warn(
          { ...where, code: ErrorCodes.STORAGE_UNAVAILABLE.code },
          'conversation storage connection lost; reconnecting in the background',
        );
      }
      this.up = false;
    });
  }
}

function parseRecord(json: string): ConversationRecord | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as ConversationRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

function parseDoubt(json: string): InDoubt | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' && typeof (value as InDoubt).n === 'string'
      ? (value as InDoubt)
      : undefined;
  } catch {
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
