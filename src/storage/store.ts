/**
 * Conversation state storage with compare-and-set. botbuilder's BotState writes with eTag "*", so
 * two replicas handling one conversation at once would silently lose an update; every store here
 * refuses a save whose version is stale instead, and the turn is run again on fresh state.
 */
import type { PersistedDialog } from '../../dialogs/step.js';

/** What is stored for one conversation. Codes and ids only: no message text. */
export interface ConversationRecord {
  /** Schema of this record. */
  v: 1;
  dialog?: PersistedDialog;
  /** When the last turn ended (ms since epoch). */
  lastSeen?: number;
}

export interface Loaded {
  record: ConversationRecord;
  /** Opaque version for compare-and-set. */
  etag: string;
}

export interface ConversationStore {
  load(conversationId: string): Promise<Loaded | undefined>;
  /**
   * Save if the stored version is still `etag` (or, with etag undefined, if nothing is stored).
   * Returns false on a conflict: someone else saved first.
   */
  save(conversationId: string, record: ConversationRecord, etag: string | undefined): Promise<boolean>;
  delete(conversationId: string): Promise<void>;
  /** Resolves when the store answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** In-process storage: the embedded default. State is lost when the process stops. */
export class MemoryStore implements ConversationStore {
  private readonly data = new Map<string, { json: string; etag: number; expires: number }>();
  private counter = 0;

  constructor(
    private readonly ttlSeconds: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async load(conversationId: string): Promise<Loaded | undefined> {
    const item = this.data.get(conversationId);
    if (!item) return undefined;
    if (item.expires <= this.clock()) {
      this.data.delete(conversationId);
      return undefined;
    }
    return { record: JSON.parse(item.json) as ConversationRecord, etag: String(item.etag) };
  }

  async save(conversationId: string, record: ConversationRecord, etag: string | undefined): Promise<boolean> {
    const current = await this.load(conversationId);
    if ((current?.etag ?? undefined) !== etag) return false;
    this.data.set(conversationId, {
      json: JSON.stringify(record),
      etag: ++this.counter,
      expires: this.clock() + this.ttlSeconds * 1000,
    });
    return true;
  }

  async delete(conversationId: string): Promise<void> {
    this.data.delete(conversationId);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.data.clear();
  }
}
