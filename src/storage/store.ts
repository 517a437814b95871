/**
 * Conversation state storage with compare-and-set. botbuilder's BotState writes with eTag "*", so
 * two replicas handling one conversation at once would silently lose an update; every store here
 * refuses a save whose version is stale instead, and the turn is run again on fresh state.
 */
import type { PersistedDialog } from '../../dialogs/step.js';
import type { Reply } from '../../dialogs/types.js';

/** What is stored for one conversation. Codes and ids only: no message text. */
export interface ConversationRecord {
  /** Schema of this record. */
  v: 1;
  dialog?: PersistedDialog;
  /** When the last turn ended (ms since epoch). */
  lastSeen?: number;
  /**
   * The turn that wrote this record (set by the turn runner): the activity it applied, a nonce
   * unique to that save, and the replies it produced (keys and slots, no text), which are what
   * the patient was shown last when the replies were delivered.
   */
  turn?: { id?: string; n: string; replies: Reply[] };
  /** Ids of the last few activities applied: a channel's retry of one of them is not applied again. */
  recent?: string[];
}

/**
 * A save whose outcome is unknown (it failed or timed out, and Redis may still apply it later):
 * the patient was shown an apology instead of that turn's replies.
 */
export interface InDoubt {
  /** The nonce (`turn.n`) of the record that save wrote: if it is stored, the save landed. */
  n: string;
  /** The activity of that turn, if it had an id. */
  activityId?: string;
  /** The version the turn loaded: if it is still stored, nothing was saved since. */
  etag?: string;
  /** The record whose replies the patient saw last (null: nothing was stored). */
  before: ConversationRecord | null;
}

export interface Loaded {
  record: ConversationRecord;
  /** Opaque version for compare-and-set. */
  etag: string;
  /** Set when a save of this conversation ended in doubt and nothing was saved since. */
  inDoubt?: InDoubt;
}

export interface ConversationStore {
  load(conversationId: string): Promise<Loaded | undefined>;
  /**
   * Save if the stored version is still `etag` (or, with etag undefined, if nothing is stored).
   * Returns false on a conflict: someone else saved first. A successful save clears the in-doubt
   * mark, in the same atomic step.
   */
  save(conversationId: string, record: ConversationRecord, etag: string | undefined): Promise<boolean>;
  /**
   * Remember that a save ended in doubt, so the next turn (on any replica) can tell. Best effort:
   * sent after the doubtful save on the same connection, so it lands after it if it lands at all.
   */
  markInDoubt?(conversationId: string, mark: InDoubt): Promise<void>;
  delete(conversationId: string): Promise<void>;
  /** Resolves when the store answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * In-process storage: the embedded default. State is lost when the process stops. At most
 * `maxConversations` are kept: the map is in order of last save (a save moves its entry to the
 * end), so when it is full the conversation idle for longest is dropped first.
 */
export class MemoryStore implements ConversationStore {
  private readonly data = new Map<string, { json: string; etag: number; expires: number; doubt?: string }>();
  private counter = 0;

  constructor(
    private readonly ttlSeconds: number,
    private readonly clock: () => number = Date.now,
    private readonly maxConversations = 20_000,
  ) {}

  /** Conversations held now. */
  get size(): number {
    return this.data.size;
  }

  async load(conversationId: string): Promise<Loaded | undefined> {
    const item = this.data.get(conversationId);
    if (!item) return undefined;
    if (item.expires <= this.clock()) {
      this.data.delete(conversationId);
      return undefined;
    }
    return {
      record: JSON.parse(item.json) as ConversationRecord,
      etag: String(item.etag),
      ...(item.doubt ? { inDoubt: JSON.parse(item.doubt) as InDoubt } : {}),
    };
  }

  async markInDoubt(conversationId: string, mark: InDoubt): Promise<void> {
    const item = this.data.get(conversationId);
    if (item) item.doubt = JSON.stringify(mark);
  }

  async save(conversationId: string, record: ConversationRecord, etag: string | undefined): Promise<boolean> {
    const current = await this.load(conversationId);
    if ((current?.etag ?? undefined) !== etag) return false;
    this.data.delete(conversationId);
    for (const oldest of this.data.keys()) {
      if (this.data.size < this.maxConversations) break;
      this.data.delete(oldest);
    }
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
