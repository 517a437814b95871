/**
 * Scores what the bot SAYS, not which label it picked: every item of a held-out answer set is run
 * through the real brain (understand() + the dialog machine + rendering from knowledge/) in a fresh
 * conversation, and passes when the rendered reply matches all of its `expect` regexes (the fact
 * asked, in any wording). Out-of-scope items pass when the reply answers from no knowledge entry.
 * Shared by `npm run eval` (report) and tests/content/answer-accuracy.test.ts (floors in CI).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createClinicBrain } from '../../src/bot/clinic-brain.js';
import type { Knowledge } from '../../src/knowledge/load.js';
import { renderReply } from '../../src/knowledge/render.js';
import type { NluModel } from '../../src/nlu/understand.js';
import type { ConversationRecord } from '../../src/storage/store.js';

interface Turn {
  text: string;
  expect?: string[];
}

export interface AnswerItem {
  id: string;
  text?: string;
  turns?: Turn[];
  expect?: string[];
  expect_oos?: boolean;
  source?: string;
}

export interface AnswerReport {
  single: { ok: number; total: number };
  followUp: { ok: number; total: number };
  oos: { ok: number; total: number };
  failures: Array<{ id: string; text: string; missing: string[]; reply: string }>;
}

export function loadAnswerSet(file: string): AnswerItem[] {
  return (parse(readFileSync(file, 'utf8')) as { items: AnswerItem[] }).items;
}

const NOW = Date.parse('2026-11-18T12:00:00Z');

export function scoreAnswers(
  knowledge: Knowledge,
  nlu: NluModel,
  items: readonly AnswerItem[],
): AnswerReport {
  const brain = createClinicBrain({ knowledge, nlu });
  const report: AnswerReport = {
    single: { ok: 0, total: 0 },
    followUp: { ok: 0, total: 0 },
    oos: { ok: 0, total: 0 },
    failures: [],
  };
  for (const item of items) {
    const turns: Turn[] = item.turns ?? [
      { text: item.text ?? '', ...(item.expect ? { expect: item.expect } : {}) },
    ];
    let record: ConversationRecord | undefined = brain.turn(undefined, { kind: 'joined' }, NOW).record;
    turns.forEach((turn, i) => {
      const result = brain.turn(
        record,
        { kind: 'message', text: turn.text, attachments: 0 },
        NOW + (i + 1) * 1000,
      );
      record = result.record;
      const reply = result.replies
        .map((r) => {
          const rendered = renderReply(knowledge, r);
          return [rendered.text, ...rendered.choices.map((c) => c.label)].join('\n');
        })
        .join('\n');
      if (item.expect_oos) {
        report.oos.total++;
        if (!result.outcome.answered) report.oos.ok++;
        else report.failures.push({ id: item.id, text: turn.text, missing: ['(out of scope)'], reply });
        return;
      }
      if (!turn.expect) return;
      const bucket = item.turns && i > 0 ? report.followUp : report.single;
      bucket.total++;
      const missing = turn.expect.filter((re) => !new RegExp(re, 'i').test(reply));
      if (missing.length === 0) bucket.ok++;
      else report.failures.push({ id: item.id, text: turn.text, missing, reply });
    });
  }
  return report;
}
