/**
 * The turn pipeline around the pure brain: per conversation, load the record with its version,
 * run the turn, save with compare-and-set, and retry the whole turn on a conflict. Replies are
 * returned only after the save succeeded, so the patient never reads an answer whose state was
 * lost. Within one process, turns of one conversation run one at a time.
 */
import { BotError, ErrorCodes } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ConversationStore } from '../storage/store.js';
import type { Brain, BrainResult, TurnInput } from './brain.js';

export const MAX_TURN_ATTEMPTS = 5;

export class TurnRunner {
  private readonly queues = new Map<string, Promise<unknown>>();
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly store: ConversationStore,
    private readonly brain: Brain,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
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
        const loaded = await this.storage(() => this.store.load(conversationId));
        const result = this.brain.turn(loaded?.record, input, this.clock());
        if (result.outcome.forget) {
          await this.storage(() => this.store.delete(conversationId));
          this.logTurn(conversationId, result, attempt, started);
          return result;
        }
        const saved = await this.storage(() => this.store.save(conversationId, result.record, loaded?.etag));
        if (saved) {
          this.logTurn(conversationId, result, attempt, started);
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

  private async storage<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
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
