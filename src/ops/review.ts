/**
 * The review loop for questions the bot could not answer (off by default: REVIEW_ENABLED).
 *
 * While it is on, a message that ended out of scope, in "did you mean", not understood, or answered
 * with low confidence is kept, redacted (src/ops/redact.ts), with the bot's best guesses, in the
 * same sink as the audit trail, for REVIEW_RETENTION_DAYS. `npm run review` groups similar
 * questions and says, for each group, how often it was asked, the closest knowledge entries, and
 * the file and field a staff member edits to teach the bot.
 */
import type { TopicMatch } from '../../dialogs/types.js';
import type { Knowledge } from '../knowledge/load.js';
import { stem, tokenize } from '../text/fold.js';
import type { SinkEvent } from './event-sink.js';
import type { UnderstandingOutcome } from './metrics.js';
import { redact } from './redact.js';

/** An answer below this topic confidence is kept for review as "low confidence". */
export const LOW_CONFIDENCE = 0.75;

export type ReviewReason = Exclude<UnderstandingOutcome, 'answered'> | 'low_confidence';

export interface ReviewEntry extends SinkEvent {
  type: 'unanswered';
  reason: ReviewReason;
  /** The message with names, numbers, dates, emails and phone numbers removed. */
  text: string;
  intent?: string;
  /** The bot's best guesses: knowledge entry ids with their confidence. */
  guesses: TopicMatch[];
}

export function reviewEntryFor(input: {
  at: number;
  text: string;
  outcome: UnderstandingOutcome | undefined;
  intent?: string;
  topics?: readonly TopicMatch[];
}): ReviewEntry | undefined {
  const guesses = (input.topics ?? [])
    .slice(0, 3)
    .map((t) => ({ id: t.id, confidence: Math.round(t.confidence * 1000) / 1000 }));
  let reason: ReviewReason | undefined;
  if (input.outcome === 'answered') {
    if ((guesses[0]?.confidence ?? 1) < LOW_CONFIDENCE) reason = 'low_confidence';
  } else if (input.outcome) {
    reason = input.outcome;
  }
  if (!reason) return undefined;
  const text = redact(input.text).slice(0, 500);
  if (!text) return undefined;
  return { type: 'unanswered', at: input.at, reason, text, intent: input.intent, guesses };
}

// ---------------------------------------------------------------------------------------------
// Grouping for `npm run review`

export interface ReviewGroup {
  count: number;
  /** Up to five distinct examples, most frequent first. */
  examples: string[];
  reasons: Record<string, number>;
  /** Entries the bot guessed, with how often and their best confidence. */
  closest: Array<{ id: string; times: number; best: number }>;
  /** Where a staff member adds these questions. */
  edit: { file: string; field: string };
}

const MARKER = /^\[(?:name|number|phone|date|email|link)\]$/;
const words = (text: string): Set<string> =>
  new Set(
    tokenize(text.replace(/\[(?:name|number|phone|date|email|link)\]/g, ' '))
      .filter((t) => t.length > 2 && !MARKER.test(t))
      .map(stem),
  );

function similarity(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / (a.size + b.size - shared);
}

/**
 * Greedy grouping: each question joins the first group whose words it shares enough of (Jaccard on
 * stemmed words, or the same best guess with some words in common), else starts a new group.
 */
export function groupReviewEntries(
  entries: readonly ReviewEntry[],
  knowledge?: Pick<Knowledge, 'topics'>,
  threshold = 0.4,
): ReviewGroup[] {
  const groups: Array<{ words: Set<string>; top?: string; items: ReviewEntry[] }> = [];
  for (const e of entries) {
    const w = words(e.text);
    const top = e.guesses[0]?.id;
    const home = groups.find((g) => {
      const sim = similarity(g.words, w);
      return sim >= threshold || (top !== undefined && g.top === top && sim >= threshold / 2);
    });
    if (home) {
      home.items.push(e);
      for (const x of w) home.words.add(x);
    } else {
      groups.push({ words: new Set(w), top, items: [e] });
    }
  }
  return groups.map((g) => summarise(g.items, knowledge)).sort((a, b) => b.count - a.count);
}

function summarise(items: readonly ReviewEntry[], knowledge?: Pick<Knowledge, 'topics'>): ReviewGroup {
  const texts = new Map<string, number>();
  const reasons: Record<string, number> = {};
  const closest = new Map<string, { times: number; best: number }>();
  for (const e of items) {
    texts.set(e.text, (texts.get(e.text) ?? 0) + 1);
    reasons[e.reason] = (reasons[e.reason] ?? 0) + 1;
    for (const g of e.guesses) {
      const c = closest.get(g.id) ?? { times: 0, best: 0 };
      c.times++;
      c.best = Math.max(c.best, g.confidence);
      closest.set(g.id, c);
    }
  }
  const ranked = [...closest]
    .map(([id, c]) => ({ id, ...c }))
    .sort((a, b) => b.times - a.times || b.best - a.best)
    .slice(0, 3);
  return {
    count: items.length,
    examples: [...texts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([t]) => t),
    reasons,
    closest: ranked,
    edit: editTarget(ranked[0]?.id, knowledge),
  };
}

/**
 * The file and field to edit: the closest entry's `examples` when there is one (add the question
 * there if that entry answers it), else the out-of-scope examples in intents.yaml (or a new entry).
 */
export function editTarget(
  entryId: string | undefined,
  knowledge?: Pick<Knowledge, 'topics'>,
): { file: string; field: string } {
  const entry = entryId ? knowledge?.topics.get(entryId) : undefined;
  if (entry) return { file: `knowledge/${entry.file}`, field: 'examples' };
  return {
    file: 'knowledge/intents.yaml',
    field: 'out_of_scope.examples (or a new entry under knowledge/topics/)',
  };
}
