/**
 * What a finished turn means for operations, read from its result and the record it started from:
 * the understanding outcome, what happened to a symptom check, the disposition. Pure; the metrics,
 * the audit trail and the review loop all read the same facts from here.
 */
import { DIALOG_MESSAGE_KEYS } from '../../dialogs/message-keys.js';
import type { BrainResult, TurnInput } from '../bot/brain.js';
import type { ConversationRecord } from '../storage/store.js';
import type { CheckEvent, UnderstandingOutcome } from './metrics.js';

/** Reply keys that say "I did not understand" (kept by name so a renamed key fails the lookup test). */
export const NOT_UNDERSTOOD_KEYS: readonly string[] = [
  'dialog.not_understood',
  'kb.not_sure',
  'dialog.offer_person',
];

/** A finished turn, as the turn runner reports it. */
export interface FinishedTurn {
  conversationId: string;
  input: TurnInput;
  /** The record the turn started from (undefined for a new conversation). */
  before?: ConversationRecord;
  result: BrainResult;
  /** Milliseconds the whole turn took (load, understand, decide, save). */
  ms: number;
  /** Clock time the turn ended (the injected clock). */
  at: number;
}

/** The state value in a stored record, e.g. "idle" or { triage: "bladder" }. */
function stateOf(record: ConversationRecord | undefined): unknown {
  const snapshot = record?.dialog?.snapshot;
  return typeof snapshot === 'object' && snapshot !== null
    ? (snapshot as { value?: unknown }).value
    : undefined;
}

/** The state name under a compound state ("triage" -> "bladder"), if the record is in it. */
export function subState(record: ConversationRecord | undefined, parent: string): string | undefined {
  const value = stateOf(record);
  if (typeof value !== 'object' || value === null) return undefined;
  const child = (value as Record<string, unknown>)[parent];
  return typeof child === 'string' ? child : undefined;
}

/** In the symptom check proper: past consent, answering questions. */
const inCheck = (record: ConversationRecord | undefined) => {
  const q = subState(record, 'triage');
  return q !== undefined && q !== 'consent';
};

/** What happened to a symptom check in this turn, if anything. */
export function checkEvent(turn: Pick<FinishedTurn, 'before' | 'result'>): CheckEvent | undefined {
  const { before, result } = turn;
  const d = result.outcome.disposition;
  const was = inCheck(before);
  const is = inCheck(result.record);
  if (d?.via === 'triage') return 'finished';
  if (was && !is) return d?.via === 'red_flag' ? 'escalated' : 'abandoned';
  if (!was && is) return 'started';
  return undefined;
}

/** How a message was understood, when it was a question or something the bot could not read. */
export function understandingOutcome(result: BrainResult): UnderstandingOutcome | undefined {
  const o = result.outcome;
  if (o.answered) return 'answered';
  if (o.didYouMean?.length) return 'did_you_mean';
  if (o.outOfScope) return 'out_of_scope';
  if (result.replies.some((r) => NOT_UNDERSTOOD_KEYS.includes(r.key))) return 'not_understood';
  return undefined;
}

/** Keys the lookup above depends on must be keys the dialog can say. */
export function unknownNotUnderstoodKeys(): string[] {
  return NOT_UNDERSTOOD_KEYS.filter((k) => !DIALOG_MESSAGE_KEYS.includes(k));
}
