/**
 * Red flags from a patient's words to the bot's decision, with the real knowledge base: the brain
 * (understand + the dialog machine) escalates for a sign told about another adult, for a wording
 * only the learned net understands (and records the rule gap, ids only), and not for history,
 * questions about warning signs, or a reassurance.
 */
import { redFlagHits } from '../../dialogs/triage-rules.js';
import { describe, expect, it } from 'vitest';
import { createClinicBrain } from '../../src/bot/clinic-brain.js';
import type { BrainResult } from '../../src/bot/brain.js';
import type { ConversationRecord } from '../../src/storage/store.js';
import { loadNlu } from '../../src/nlu/load.js';
import { understand } from '../../src/nlu/understand.js';
import { REAL_KNOWLEDGE } from '../helpers/service.js';

/** The red-flag rules a message fires on its own (the machine applies the triage table the same way). */
const hitsOf = (u: { signals: string[] }, m: { triage: Parameters<typeof redFlagHits>[2] }) =>
  redFlagHits([], u.signals, m.triage);

const { model, knowledge } = loadNlu(REAL_KNOWLEDGE);
const brain = createClinicBrain({ knowledge, nlu: model });
const NOW = Date.parse('2026-11-18T12:00:00Z');

function firstTurn(text: string): BrainResult {
  const record: ConversationRecord | undefined = undefined;
  return brain.turn(record, { kind: 'message', text, attachments: 0 }, NOW);
}

describe('a red flag told about someone else', () => {
  it.each([
    "my husband hasn't been able to wee since last night",
    "my mum's legs have both gone weak since this morning",
    'my partner says he has lost all feeling between his legs',
  ])('when a carer writes "%s", then the bot escalates to emergency care', (text) => {
    expect(firstTurn(text).outcome.disposition).toMatchObject({ level: 'E', via: 'red_flag' });
  });

  it.each([
    'my dad had cancer, could that explain my back pain?',
    'my grandad is incontinent and my back aches from lifting him',
    'the baby wet the bed again last night',
  ])(
    'when someone else\'s history or a baby is mentioned ("%s"), then nothing escalates to emergency',
    (text) => {
      expect(firstTurn(text).outcome.disposition?.level).not.toBe('E');
    },
  );
});

describe('the learned net in the conversation', () => {
  const tableOnly = { ...model, redFlagNet: undefined };
  // Wordings written for this test, checked to be missed by the table and caught by the net.
  const candidates = [
    'my bottom feels like a block of wood with no feeling in it',
    'weeing happens and I only notice afterwards from the damp',
    'the skin round my back passage is dead to the touch',
  ];
  const netOnly = candidates.filter(
    (t) =>
      hitsOf(understand(t, {}, tableOnly), tableOnly).length === 0 &&
      (understand(t, {}, model).redFlagGaps ?? []).length > 0,
  );

  it('when the net alone understands a sign, then the bot escalates and the outcome records the gap as ids', () => {
    expect(netOnly.length).toBeGreaterThan(0);
    for (const text of netOnly) {
      const r = firstTurn(text);
      expect(r.outcome.disposition).toMatchObject({ level: 'E', via: 'red_flag' });
      expect(r.outcome.redFlagGaps?.length).toBeGreaterThan(0);
      for (const gap of r.outcome.redFlagGaps ?? []) {
        expect(Object.keys(gap).sort()).toEqual(['confidence', 'signal']);
        expect(JSON.stringify(gap)).not.toContain(text.split(' ')[1]!);
      }
    }
  });

  it.each(["my bladder's fine", 'no problems with my waterworks or bowels', 'what is saddle anaesthesia?'])(
    'when the patient says "%s", then nothing escalates and no gap is recorded',
    (text) => {
      const r = firstTurn(text);
      expect(r.outcome.disposition).toBeUndefined();
      expect(r.outcome.redFlagGaps).toBeUndefined();
    },
  );
});
