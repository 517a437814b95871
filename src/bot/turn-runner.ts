/**
 * The turn pipeline around the pure brain: per conversation, load the record with its version,
 * run the turn, save with compare-and-set, and retry the whole turn on a conflict. Replies are
 * returned only after the save succeeded, so the patient never reads an answer whose state was
 * lost. Within one process, turns of one conversation run one at a time.
 *
 * Turns are idempotent, because an answer recorded against a question the patient never saw is a
 * clinical error (a "no" to the bladder question counted as "no" to the bowel question):
 * - Every saved record carries the activity id it applied and the replies it produced
 *   (`record.turn`, keys only). The same activity id arriving again (a channel's retry) is never
 *   applied twice: the stored replies are sent again instead.
 * - A save that fails or times out may still be applied by Redis later, and the patient was shown
 *   an apology, not that turn's replies. The runner marks the conversation in doubt (in the store,
 *   so any replica sees it, and in this process). The next turn re-reads the stored version, finds
 *   out whether the doubtful save landed (its nonce is stored) and, either way, goes back to the
 *   record whose replies the patient saw last and asks that again, without applying the new
 *   message. This works from the stored replies, whatever the dialog asks: it knows no question ids.
 */
import { randomBytes } from 'node:crypto';
import { BotError, ErrorCodes } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ConversationRecord, ConversationStore, InDoubt, Loaded } from '../storage/store.js';
import type { Brain, BrainResult, TurnInput } from './brain.js';

export const MAX_TURN_ATTEMPTS = 5;

/** Side effects of a finished turn (metrics, audit, review) and of failing storage. Must not throw. */
export interface TurnHooks {
  onTurn?(turn: {
    conversationId: string;
    input: TurnInput;
    before?: ConversationRecord;
    result: BrainResult;
    ms: number;
    at: number;
  }): void;
  onStorageError?(op: 'load' | 'save' | 'delete'): void;
}
/** Activity ids remembered per conversation for duplicate detection. */
export const RECENT_ACTIVITY_IDS = 4;
/** In-process doubt marks kept at most (they are cleared by the next successful save). */
const MAX_LOCAL_DOUBTS = 10_000;

/** How a turn was handled: applied to the dialog, a duplicate replayed, or a question asked again. */
export type TurnKind = 'applied' | 'duplicate' | 'reasked';

export interface TurnPlan {
  kind: TurnKind;
  /** The record the turn starts from (applied) or saves as it is (duplicate, reasked). */
  base: ConversationRecord | undefined;
  /** For duplicate and reasked: the replies to send again. */
  replies?: BrainResult['replies'];
  /** Whether a save is needed (to clear a doubt, or to record the activity id). */
  save: boolean;
}

/**
 * The pure decision at the heart of idempotent turns: given what is stored (with any in-doubt
 * mark) and the activity id of this turn, what to start from and whether to apply the message.
 */
export function planTurn(
  loaded: Loaded | undefined,
  doubt: InDoubt | undefined,
  activityId?: string,
): TurnPlan {
  const record = loaded?.record;
  const landed = doubt !== undefined && record?.turn?.n === doubt.n;
  const untouched = doubt !== undefined && !landed && loaded?.etag === doubt.etag;
  const live = landed || untouched ? doubt : undefined;
  if (!live) {
    if (activityId !== undefined && record?.recent?.includes(activityId)) {
      const replies = record.turn?.id === activityId ? record.turn.replies : [];
      return { kind: 'duplicate', base: record, replies, save: false };
    }
    return { kind: 'applied', base: record, save: true };
  }
  if (landed && activityId !== undefined && activityId === live.activityId) {
    // The channel sent the doubtful activity again and it had landed: show what it produced.
    return { kind: 'duplicate', base: record, replies: record?.turn?.replies ?? [], save: true };
  }
  if (untouched && activityId !== undefined && activityId === live.activityId) {
    // The same activity again, and it never landed: apply it now (compare-and-set keeps it single).
    return { kind: 'applied', base: record, save: true };
  }
  // A new message after an apology: go back to what the patient saw last and ask it again.
  const seen = landed ? (live.before ?? undefined) : record;
  if (!seen?.turn?.replies?.length) return { kind: 'applied', base: seen, save: true };
  return { kind: 'reasked', base: seen, replies: seen.turn.replies, save: true };
}

/** A Map that forgets its oldest entries beyond `max`. */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }
  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    for (const oldest of this.keys()) {
      if (this.size <= this.max) break;
      super.delete(oldest);
    }
    return this;
  }
}

export class TurnRunner {
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Saves that ended in doubt here, for when the store's own mark could not be written. */
  private readonly doubts = new Map<string, InDoubt>();
  /** Marks to write should a saved turn's replies fail to reach the patient (recent turns only). */
  private readonly undelivered = new BoundedMap<string, InDoubt>(1000);
  private readonly noncePrefix = randomBytes(6).toString('base64url');
  private nonceCounter = 0;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly store: ConversationStore,
    private readonly brain: Brain,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    private readonly hooks: TurnHooks = {},
  ) {}

  /** Number of turns being processed now (graceful shutdown waits for 0). */
  get busy(): number {
    return this.inFlight;
  }

  run(conversationId: string, input: TurnInput): Promise<BrainResult> {
    const previous = this.queues.get(conversationId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.runNow(conversationId, input));
    this.queues.set(conversationId, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.queues.get(conversationId) === next) this.queues.delete(conversationId);
      });
    return next;
  }

  /** Delete what is stored about a conversation (the dialog record after a failed turn, or "forget me"). */
  async reset(conversationId: string): Promise<void> {
    await this.store.delete(conversationId);
  }

  /** Resolves when no turn is in flight. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async runNow(conversationId: string, input: TurnInput): Promise<BrainResult> {
    this.inFlight++;
    const started = performance.now();
    try {
      for (let attempt = 1; attempt <= MAX_TURN_ATTEMPTS; attempt++) {
        const loaded = await this.storage('load', () => this.store.load(conversationId));
        const doubt = loaded?.inDoubt ?? this.doubts.get(conversationId);
        const plan = planTurn(loaded, doubt, input.activityId);
        const now = this.clock();
        const result: BrainResult =
          plan.kind === 'applied'
            ? this.brain.turn(plan.base, input, now)
            : {
                record: { ...(plan.base ?? { v: 1 }), lastSeen: now },
                replies: plan.replies ?? [],
                outcome: {},
              };
        if (result.outcome.forget) {
          await this.storage('delete', () => this.store.delete(conversationId));
          this.doubts.delete(conversationId);
          this.logTurn(conversationId, result, attempt, started, plan.kind);
          this.finished(conversationId, input, loaded?.record, result, started);
          return result;
        }
        if (!plan.save) {
          this.logTurn(conversationId, result, attempt, started, plan.kind);
          return result;
        }
        const record = this.stamp(
          result.record,
          plan.kind === 'duplicate' ? plan.base?.turn : undefined,
          input,
          result,
        );
        // If this turn's replies never reach the patient, this is what the next turn must know.
        const mark: InDoubt = {
          n: record.turn!.n,
          activityId: input.activityId,
          etag: loaded?.etag,
          // What the patient saw last: unchanged while an earlier doubt is unresolved.
          before: doubt && plan.kind !== 'applied' ? doubt.before : (plan.base ?? loaded?.record ?? null),
        };
        let saved: boolean;
        try {
          saved = await this.store.save(conversationId, record, loaded?.etag);
        } catch (error) {
          this.markInDoubt(conversationId, mark, 'save failed or timed out');
          this.storageFailed('save');
          throw new BotError(ErrorCodes.STORAGE_UNAVAILABLE.code, 'conversation storage failed', {
            cause: error,
          });
        }
        if (saved) {
          this.doubts.delete(conversationId);
          this.logTurn(conversationId, { ...result, record }, attempt, started, plan.kind);
          if (plan.kind === 'applied') this.finished(conversationId, input, loaded?.record, result, started);
          this.undelivered.set(record.turn!.n, mark);
          return { ...result, record };
        }
        this.log.warn(
          { conversationId, attempt, code: ErrorCodes.STATE_CONFLICT.code },
          'state changed during the turn; running it again',
        );
      }
      throw new BotError(
        ErrorCodes.STATE_CONFLICT.code,
        `gave up after ${MAX_TURN_ATTEMPTS} conflicting saves`,
      );
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  /** The record as saved: the turn's activity id, a nonce for this save, its replies, recent ids. */
  private stamp(
    record: ConversationRecord,
    keepTurn: ConversationRecord['turn'],
    input: TurnInput,
    result: BrainResult,
  ): ConversationRecord {
    const id = input.activityId;
    const recent = (record.recent ?? []).filter((r) => r !== id);
    if (id !== undefined) recent.push(id);
    return {
      ...record,
      turn: {
        ...(keepTurn?.id !== undefined ? { id: keepTurn.id } : id !== undefined ? { id } : {}),
        n: this.nextNonce(),
        replies: keepTurn?.replies ?? result.replies,
      },
      recent: recent.slice(-RECENT_ACTIVITY_IDS),
    };
  }

  /** Unique per save: this process's random prefix and a counter (no random bytes per turn). */
  private nextNonce(): string {
    return `${this.noncePrefix}${(++this.nonceCounter).toString(36)}`;
  }

  /**
   * The replies of a saved turn did not reach the patient (the channel refused them): the next
   * turn must ask again what the patient saw before, exactly as after a save in doubt.
   */
  markUndelivered(conversationId: string, result: BrainResult): void {
    const mark = result.record.turn && this.undelivered.get(result.record.turn.n);
    if (mark) this.markInDoubt(conversationId, mark, 'replies not delivered');
  }

  private markInDoubt(conversationId: string, mark: InDoubt, why: string): void {
    this.doubts.delete(conversationId);
    this.doubts.set(conversationId, mark);
    for (const oldest of this.doubts.keys()) {
      if (this.doubts.size <= MAX_LOCAL_DOUBTS) break;
      this.doubts.delete(oldest);
    }
    this.log.warn(
      { conversationId, code: ErrorCodes.STORAGE_UNAVAILABLE.code, why },
      'turn in doubt: the next turn asks again what the patient saw last',
    );
    void this.store.markInDoubt?.(conversationId, mark).catch(() => undefined);
  }

  private finished(
    conversationId: string,
    input: TurnInput,
    before: ConversationRecord | undefined,
    result: BrainResult,
    started: number,
  ): void {
    try {
      this.hooks.onTurn?.({
        conversationId,
        input,
        before,
        result,
        ms: performance.now() - started,
        at: this.clock(),
      });
    } catch {
      // Metrics and audit never break a turn.
    }
  }

  private storageFailed(name: 'load' | 'save' | 'delete'): void {
    try {
      this.hooks.onStorageError?.(name);
    } catch {
      // As above.
    }
  }

  private async storage<T>(name: 'load' | 'save' | 'delete', op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
      this.storageFailed(name);
      throw new BotError(ErrorCodes.STORAGE_UNAVAILABLE.code, 'conversation storage failed', {
        cause: error,
      });
    }
  }

  private logTurn(
    conversationId: string,
    result: BrainResult,
    attempts: number,
    started: number,
    kind: TurnKind = 'applied',
  ): void {
    const o = result.outcome;
    this.log.info(
      {
        conversationId,
        kind: kind === 'applied' ? undefined : kind,
        intent: result.intent,
        replyKeys: result.replies.map((r) => r.key),
        answered: o.answered?.topic,
        disposition: o.disposition && {
          level: o.disposition.level,
          via: o.disposition.via,
          rules: o.disposition.ruleIds,
          version: o.disposition.version,
        },
        redFlagRules: result.redFlagRules?.length ? result.redFlagRules : undefined,
        language: result.language,
        redFlagGaps: o.redFlagGaps,
        handoff: o.handoff?.reason,
        outOfScope: o.outOfScope || undefined,
        attempts: attempts > 1 ? attempts : undefined,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      'turn',
    );
    // A sign only the learned net understood: a gap in the rule table for the clinician to review.
    for (const gap of o.redFlagGaps ?? []) {
      this.log.warn(
        { conversationId, signal: gap.signal, confidence: gap.confidence, source: 'red-flag-net' },
        'red-flag rule gap',
      );
    }
  }
}
