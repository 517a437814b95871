/**
 * The brain of a turn: pure and synchronous. Given the stored record and what the user did, it
 * returns the next record, the replies (message keys) and the outcome. The real brain runs
 * understand() and the dialog machine; tests may pass their own.
 */
import type { Reply, TopicMatch, TurnOutcome } from '../../dialogs/types.js';
import type { ConversationRecord } from '../storage/store.js';

export type TurnInput =
  | {
      kind: 'joined';
      shared?: boolean;
      activityId?: string;
      /** Welcome only a conversation that has no record yet (a second announcement of one install). */
      firstOnly?: boolean;
    }
  | {
      kind: 'message';
      /** The channel's id of the activity (a retry carries the same id). */
      activityId?: string;
      /** Others can read this chat (a Teams group chat or channel). */
      shared?: boolean;
      /** The text, with any @mention of the bot removed. May be empty. */
      text: string;
      /** A choice payload sent by a button (messageBack/postBack value), if any. */
      payload?: string;
      /** Number of attachments (images, files) that came with the message. */
      attachments: number;
    };

export interface BrainResult {
  record: ConversationRecord;
  replies: Reply[];
  outcome: TurnOutcome;
  /** For logs and metrics: the intent understood, when there was a message. */
  intent?: string;
  /** For logs: ids of red-flag rules that fired this turn. */
  redFlagRules?: string[];
  /** For logs: the ISO 639-3 code of a message that was not in English. */
  language?: string;
  /** For the review loop: the understanding's best knowledge entries, when there was a message. */
  topics?: TopicMatch[];
}

export interface Brain {
  turn(record: ConversationRecord | undefined, input: TurnInput, now: number): BrainResult;
}
