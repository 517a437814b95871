/**
 * The turn runner's hooks for operations: every finished turn updates the metrics, writes its
 * audit events (dispositions, symptom checks started, abandoned or escalated) and, when the review
 * loop is on, keeps an unanswered question, redacted. Nothing here can fail a turn: the runner
 * swallows hook errors, and sink writes report their failures to the log and a counter.
 */
import type { TurnHooks } from '../bot/turn-runner.js';
import type { Logger } from '../logger.js';
import { answersOf, dispositionEvent, hashConversationId } from './audit.js';
import type { EventSink } from './event-sink.js';
import type { Metrics } from './metrics.js';
import { reviewEntryFor } from './review.js';
import { checkEvent, subState, understandingOutcome } from './turn-events.js';

export interface ObserverDeps {
  metrics?: Metrics;
  sink?: EventSink;
  /** Keep unanswered questions (redacted) in the sink's review stream. */
  review: boolean;
  log: Pick<Logger, 'warn'>;
}

export function createTurnObserver(deps: ObserverDeps): TurnHooks & { flush(): Promise<void> } {
  const { metrics, sink } = deps;
  const pending = new Set<Promise<void>>();
  return {
    /** Resolves when every deferred review capture and every sink write so far is done. */
    async flush() {
      await Promise.all([...pending]);
      await sink?.flush();
    },
    onStorageError: (op) => metrics?.storageError(op),
    onTurn(turn) {
      const { result, input, conversationId, at } = turn;
      const o = result.outcome;
      metrics?.turn(input.kind, turn.ms / 1000);
      const understood = input.kind === 'message' ? understandingOutcome(result) : undefined;
      if (understood) metrics?.understanding(understood);
      for (const rule of new Set(result.redFlagRules ?? [])) metrics?.redFlagRule(rule);
      if (o.handoff) metrics?.handoff(o.handoff.reason, !!o.handoff.callback);

      const check = checkEvent(turn);
      if (check) metrics?.check(check);
      if (check && check !== 'finished') {
        void sink?.append('audit', {
          type: 'check',
          at,
          conversation: hashConversationId(conversationId),
          event: check,
        });
      }
      if (o.disposition) {
        metrics?.disposition(o.disposition.level, o.disposition.via);
        void sink?.append(
          'audit',
          dispositionEvent({
            conversationId,
            at,
            disposition: o.disposition,
            answers: answersOf(result.record.dialog?.snapshot),
          }),
        );
      }

      // Never what someone types while giving their name and number for a call back, nor their
      // answers during a symptom check (health details about them, not questions for the bot).
      const privateState =
        subState(turn.before, 'handoff') !== undefined || subState(turn.before, 'triage') !== undefined;
      if (deps.review && sink && input.kind === 'message' && !privateState && understood) {
        // Redaction takes a millisecond or more: done after the reply, off the turn's path.
        const capture = new Promise<void>((resolve) =>
          setImmediate(() => {
            try {
              const entry = reviewEntryFor({
                at,
                text: input.text,
                outcome: understood,
                intent: result.intent,
                topics: result.topics,
              });
              if (entry) void sink.append('review', entry);
            } catch (error) {
              deps.log.warn(
                { code: 'REVIEW_CAPTURE_FAILED', err: { name: (error as Error)?.name } },
                'review entry skipped',
              );
            }
            resolve();
          }),
        );
        pending.add(capture);
        void capture.then(() => pending.delete(capture));
      }
    },
  };
}
