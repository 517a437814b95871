/**
 * Whole conversations from the patient's side (tests/conversations/*.yaml), run through the real
 * brain: understand() on the real knowledge base, then the dialog machine. The files were written
 * apart from the training examples; expectations are outcomes and reply keys, never wording.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { K } from '../../dialogs/message-keys.js';
import type { BrainResult } from '../../src/bot/brain.js';
import { createClinicBrain } from '../../src/bot/clinic-brain.js';
import { loadNlu } from '../../src/nlu/load.js';
import type { ConversationRecord } from '../../src/storage/store.js';
import { REAL_KNOWLEDGE } from '../helpers/service.js';

interface Expect {
  welcome?: boolean;
  triageStarted?: boolean;
  /** A triage question id this reply asks ("urgent", "severity"), or must not ask. */
  asked?: string;
  notAsked?: string;
  /** An urgent sign outside the check: the urgent advice now, then the emergency signs first. */
  screenedFirst?: boolean;
  /** The symptom check was stopped. */
  stopped?: boolean;
  answered?: string | string[];
  /** The answer is the entry's short answer (its overview), not one of its sections. */
  overview?: boolean;
  outOfScope?: boolean;
  didYouMean?: boolean;
  disposition?: string;
  escalated?: string;
  /** Escalated about someone else the patient wrote about, at this level. */
  escalatedOther?: string;
  handoff?: boolean;
  booking?: boolean;
  forget?: boolean;
  restarted?: boolean;
  /** The reply says first that this part cannot be answered for the person (a language.yaml qualifier). */
  qualified?: string;
  /** What the bot can do. */
  help?: boolean;
  /** The reply says it has no details on the exact point before the nearest answer, or must not. */
  partial?: boolean;
  /** How many knowledge answers the reply holds (two questions in one get two). */
  answers?: number;
}

interface Conversation {
  name: string;
  turns: Array<{ user: string; expect?: Expect }>;
}

const dir = import.meta.dirname;
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
const { knowledge, model } = loadNlu(REAL_KNOWLEDGE);
const brain = createClinicBrain({ knowledge, nlu: model });
// A Wednesday mid-morning in the clinic's time zone; a minute between turns.
const START = Date.UTC(2026, 10, 18, 10, 0, 0);

/** Check one turn against its expectations; returns what did not hold. */
function check(result: BrainResult, e: Expect): string[] {
  const keys = result.replies.map((r) => r.key);
  const o = result.outcome;
  const wrong: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) wrong.push(what);
  };
  if (e.welcome) need(keys.includes(K.welcomeIntro) || keys.includes(K.welcomeBack), 'a welcome');
  if (e.triageStarted)
    need(
      keys.some((k) => [K.triageStart, K.triageStartReport, K.triageStartUrgent].includes(k as never)) &&
        keys.includes('triage.ask_emergency'),
      'the symptom check to start (a one-line start and the emergency signs)',
    );
  if (e.screenedFirst)
    need(
      keys.includes(K.triageStartUrgent) && keys.includes('triage.ask_emergency') && !o.disposition,
      'the urgent advice and the emergency signs asked first',
    );
  if (e.stopped) need(keys.includes(K.triageStopped), 'the check stopped');
  if (e.asked) need(keys.includes(`triage.ask_${e.asked}`), `the question "${e.asked}"`);
  if (e.notAsked) need(!keys.includes(`triage.ask_${e.notAsked}`), `not the question "${e.notAsked}"`);
  if (e.answered) {
    const ids = Array.isArray(e.answered) ? e.answered : [e.answered];
    need(!!o.answered && ids.includes(o.answered.topic), `an answer from ${ids.join(' or ')}`);
  }
  if (e.overview) need(!!o.answered && o.answered.aspect === undefined, "the entry's short answer");
  if (e.outOfScope)
    need(!!o.outOfScope || keys.includes(K.outOfScope) || keys.includes(K.notSure), 'an out-of-scope reply');
  if (e.didYouMean) need((o.didYouMean?.length ?? 0) > 0, '"did you mean" choices');
  if (e.disposition) need(o.disposition?.level === e.disposition, `disposition ${e.disposition}`);
  if (e.escalated)
    need(
      o.disposition?.via === 'red_flag' && o.disposition.level === e.escalated,
      `red-flag escalation ${e.escalated}`,
    );
  if (e.escalatedOther)
    need(
      o.disposition?.via === 'red_flag' &&
        o.disposition.subject === 'other' &&
        o.disposition.level === e.escalatedOther,
      `red-flag escalation ${e.escalatedOther} about someone else`,
    );
  if (e.handoff) need(!!o.handoff || keys.includes(K.handoffInfo), 'a handoff');
  if (e.booking) need(!!o.bookingOffered || keys.includes(K.bookingInfo), 'booking information');
  if (e.forget) need(!!o.forget, 'forget-me');
  if (e.restarted) need(keys.includes(K.restarted), 'a restart');
  if (e.qualified) need(keys.includes(`${K.qualifierPrefix}${e.qualified}`), `the ${e.qualified} qualifier`);
  if (e.help) need(keys.includes(K.help), 'what the bot can do');
  if (e.partial !== undefined)
    need(
      keys.includes(K.partialAnswer) === e.partial,
      e.partial ? 'a "no details on that" line' : 'no "no details" line',
    );
  if (e.answers !== undefined)
    need(keys.filter((k) => k === K.answer).length === e.answers, `${e.answers} knowledge answers`);
  return wrong;
}

for (const file of files) {
  const data = parse(readFileSync(path.join(dir, file), 'utf8')) as { conversations: Conversation[] };
  describe(`conversations in ${file}`, () => {
    for (const conversation of data.conversations) {
      it(conversation.name, () => {
        let record: ConversationRecord | undefined;
        let now = START;
        const transcript: string[] = [];
        for (const [i, turn] of conversation.turns.entries()) {
          now += 60_000;
          const result = brain.turn(record, { kind: 'message', text: turn.user, attachments: 0 }, now);
          record = result.record;
          // Every message gets an answer.
          expect(result.replies.length, `turn ${i + 1} "${turn.user}" got no reply`).toBeGreaterThan(0);
          transcript.push(
            `${i + 1}. "${turn.user}" -> ${result.intent} [${result.replies.map((r) => r.key).join(', ')}]${
              result.outcome.disposition ? ` disposition ${result.outcome.disposition.level}` : ''
            }`,
          );
          if (turn.expect) {
            const wrong = check(result, turn.expect);
            expect(
              wrong,
              `turn ${i + 1} "${turn.user}" expected ${wrong.join(', ')}\n${transcript.join('\n')}`,
            ).toEqual([]);
          }
        }
      });
    }
  });
}
