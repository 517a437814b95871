/**
 * The turn pipeline around the pure brain: per conversation, load the record with its version,
 * run the turn, save with compare-and-set, and retry the whole turn on a conflict. Replies are
 * returned only after the save succeeded, so the patient never reads an answer whose state was
 * lost. Within one process, turns of one conversation run one at a time.
 */
import { BotError, ErrorCodes } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ConversationRecord, ConversationStore } from '../storage/store.js';
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

export class TurnRunner {
  private readonly queues = new Map<string, Promise<unknown>>();
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
        const result = this.brain.turn(loaded?.record, input, this.clock());
        if (result.outcome.forget) {
          await this.storage('delete', () => this.store.delete(conversationId));
          this.logTurn(conversationId, result, attempt, started);
          this.finished(conversationId, input, loaded?.record, result, started);
          return result;
        }
        const saved = await this.storage('save', () =>
          this.store.save(conversationId, result.record, loaded?.etag),
        );
        if (saved) {
          this.logTurn(conversationId, result, attempt, started);
          this.finished(conversationId, input, loaded?.record, result, started);
          return result;
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

  private async storage<T>(name: 'load' | 'save' | 'delete', op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
      try {
        this.hooks.onStorageError?.(name);
      } catch {
        // As above.
      }
      throw new BotError(ErrorCodes.STORAGE_UNAVAILABLE.code, 'conversation storage failed', {
        cause: error,
      });
    }
  }

  private logTurn(conversationId: string, result: BrainResult, attempts: number, started: number): void {
    const o = result.outcome;
    this.log.info(
      {
        conversationId,
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
        handoff: o.handoff?.reason,
        outOfScope: o.outOfScope || undefined,
        attempts: attempts > 1 ? attempts : undefined,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      'turn',
    );
  }
}
