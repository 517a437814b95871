/**
 * The conversation store the configuration asks for: Redis when REDIS_URL is set (state survives
 * restarts and is shared by replicas), otherwise the in-memory store (the embedded default).
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { RedisStore } from './redis-store.js';
import { type ConversationStore, MemoryStore } from './store.js';

export function createStore(
  config: Pick<Config, 'redisUrl' | 'stateTtlSeconds'> & Partial<Pick<Config, 'memoryMaxConversations'>>,
  log: Logger,
  clock: () => number = Date.now,
): ConversationStore {
  if (config.redisUrl) {
    return new RedisStore({
      url: config.redisUrl,
      ttlMs: config.stateTtlSeconds * 1000,
      log: log.child({ component: 'storage' }),
    });
  }
  log.info({ store: 'memory' }, 'conversation state is kept in memory: it is lost when the process stops');
  return new MemoryStore(config.stateTtlSeconds, clock, config.memoryMaxConversations);
}
