import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createConversationMachine } from '../../dialogs/conversation.machine.js';
import { decide, initialContext, stepUp } from '../../dialogs/dialog-logic.js';
import {
  QUESTIONS,
  durationCode,
  interpretAnswer,
  questionById,
  type QuestionId,
} from '../../dialogs/questions.js';
import { assess, isRedFlagLevel, type TriageTable } from '../../dialogs/triage-rules.js';
import type { Understanding } from '../../dialogs/types.js';
import {
  ASPECT_FALLBACK,
  CATALOGUE,
  Chat,
  SCREEN,
  TABLE,
  entities,
  intent,
  nlu,
  no,
  pick,
  startTriage,
  yes,
} from './helpers.js';

const ctx = { answers: {}, minConfidence: 0.35 };
const read = (q: QuestionId, message: Understanding, answers: Record<string, string> = {}) =>
  interpretAnswer(questionById(q)!, message, { ...ctx, answers });

describe('reading answers', () => {
  it('when a yes/no question gets a click, a confident intent, or its own signal, then it is read; a weak intent is not', () => {
    expect(read('bladder', pick('answer:yes'))).toEqual({ code: 'yes', signals: ['ce.bladder'] });
    expect(read('bladder', intent('deny', 0.5))).toEqual({ code: 'no', signals: [] });
    expect(read('bladder', nlu({ signals: ['ce.bladder'] }))).toEqual({
      code: 'yes',
      signals: ['ce.bladder'],
    });
    expect(read('bladder', intent('affirm', 0.1))).toBeUndefined();
    expect(read('bladder', pick('answer:unsure'))).toBeUndefined();
  });

  it('when a two-sided question hears the specific sign, then that sign is kept instead of the generic one', () => {
    expect(read('both_legs', nlu({ signals: ['ce.bilateral_weakness'] }))).toEqual({
      code: 'yes',
      signals: ['ce.bilateral_weakness'],
    });
    expect(read('leg_weakness', nlu({ signals: ['neuro.foot_drop'] }))).toEqual({
      code: 'yes',
      signals: ['neuro.foot_drop'],
    });
    expect(read('both_legs', yes())).toEqual({ code: 'yes', signals: ['ce.bilateral_sciatica'] });
  });

  it('when a duration is given in days, then it falls in its band and only more than six weeks sets the signal', () => {
    expect([13, 14, 42, 43, 84, 85].map(durationCode)).toEqual([
      'under_2_weeks',
      '2_to_6_weeks',
      '2_to_6_weeks',
      '6_to_12_weeks',
      '6_to_12_weeks',
      'over_12_weeks',
    ]);
    expect(read('duration', entities({ durationDays: 42 }))?.signals).toEqual([]);
    expect(read('duration', entities({ durationDays: 43 }))?.signals).toEqual(['duration.over_6_weeks']);
    expect(read('duration', pick('option:6_to_12_weeks'))?.signals).toEqual(['duration.over_6_weeks']);
    expect(read('duration', entities({ durationDays: -1 }))).toBeUndefined();
  });

  it('when a pain score is given, then it is banded, 10 or "can\'t cope" is unbearable, and nonsense is not read', () => {
    expect([0, 3, 4, 6, 7, 9].map((s) => read('severity', entities({ painScore: s }))?.code)).toEqual([
      'mild',
      'mild',
      'moderate',
      'moderate',
      'severe',
      'severe',
    ]);
    expect(read('severity', entities({ painScore: 10 }))).toEqual({
      code: 'unbearable',
      signals: ['pain.unbearable'],
    });
    expect(read('severity', nlu({ signals: ['pain.unbearable'] }))?.code).toBe('unbearable');
    expect(read('severity', entities({ painScore: 11 }))).toBeUndefined();
  });

  it('when an age is given, then it is kept as a band with the age signals, never as the number', () => {
    expect(read('age', entities({ age: 15 }))).toEqual({
      code: 'under_16',
      signals: ['age.under_20', 'child'],
    });
    expect(read('age', entities({ age: 19 }))).toEqual({ code: '16_to_19', signals: ['age.under_20'] });
    expect(read('age', entities({ age: 59 }))).toEqual({ code: '20_to_59', signals: [] });
    expect(read('age', entities({ age: 60 }))).toEqual({ code: '60_plus', signals: ['age.over_60'] });
    expect(read('age', entities({ age: 300 }))).toBeUndefined();
  });

  it('when locations are given, then they are coded in a fixed order and between the shoulder blades is a U sign', () => {
    expect(read('location', entities({ locations: ['thigh', 'buttock'] }))).toEqual({
      code: 'buttock+thigh',
      signals: [],
    });
    expect(read('location', pick('option:upper_back'))).toEqual({
      code: 'upper_back',
      signals: ['pain.thoracic'],
    });
  });

  it('when progress is "the same", then it is "not improving" unless the pain is under two weeks old', () => {
    expect(read('progress', no(), { duration: 'under_2_weeks' })).toEqual({ code: 'same', signals: [] });
    expect(read('progress', no(), { duration: '2_to_6_weeks' })?.signals).toEqual(['sciatica.not_improving']);
    expect(read('progress', no(), { duration: 'unclear' })?.signals).toEqual(['sciatica.not_improving']);
    expect(read('progress', pick('option:worse'))?.signals).toEqual(['sciatica.not_improving']);
    expect(read('progress', yes())).toEqual({ code: 'better', signals: [] });
  });

  it('when "nothing" makes it worse, then a plain "no" is read as nothing', () => {
    expect(read('worse', no())).toEqual({ code: 'nothing', signals: [] });
    expect(read('worse', nlu({ signals: ['pain.night'] }))).toEqual({
      code: 'night_rest',
      signals: ['pain.night'],
    });
  });
});

describe('the level at the end', () => {
  const settings = {
    triage: TABLE,
    catalogue: CATALOGUE,
    aspectFallback: ASPECT_FALLBACK,
    thresholds: { answer: 0.6, margin: 0.1, suggest: 0.35, answerWithAlternatives: 0.45 },
    idleMs: 1,
  };

  it('when stepping up, then C->S->U->E and E stays E', () => {
    expect((['C', 'S', 'U', 'E'] as const).map(stepUp)).toEqual(['S', 'U', 'E', 'E']);
  });

  it('when answers are unclear, then the level moves one step for all of them together, and the red-flag floor is U', () => {
    const base = initialContext();
    expect(decide({ ...base, answers: { age: 'unclear', worse: 'unclear' } }, settings).level).toBe('S');
    expect(decide({ ...base, answers: { bowel: 'unclear' } }, settings)).toMatchObject({
      level: 'U',
      ruleIds: ['policy.unclear_answer', 'policy.unclear_red_flag_answer'],
    });
    expect(decide({ ...base, signals: ['pain.night'], answers: { saddle: 'unclear' } }, settings).level).toBe(
      'E',
    );
    expect(decide({ ...base, signals: ['age.over_60'] }, settings)).toMatchObject({
      level: 'S',
      ruleIds: ['age'],
      reasons: ['reason.age'],
    });
  });
});

describe('the real triage table (knowledge/triage-rules.yaml)', () => {
  const table = parse(
    readFileSync(new URL('../../knowledge/triage-rules.yaml', import.meta.url), 'utf8'),
  ) as TriageTable;

  it('when a warning sign of a group is answered "yes", then the real table makes it E (emergency signs) or at least U (urgent signs)', () => {
    for (const group of ['emergency', 'urgent'] as const) {
      for (const id of questionById(group)!.members!) {
        const level = assess([questionById(id)!.yesSignal!], table).level;
        if (group === 'emergency') expect(level, id).toBe('E');
        else expect(isRedFlagLevel(level), id).toBe(true);
      }
    }
    // The conditional question (numbness) matters only together with another sign.
    expect(assess(['neuro.numbness'], table).level).toBe('C');
    expect(assess(['neuro.numbness', 'systemic.fever'], table).level).toBe('E');
    expect(QUESTIONS.filter((q) => q.phase === 'screen').length).toBeGreaterThan(10);
  });

  it('when a symptom check runs on the real table, then "yes" to bladder trouble gives E with its rule and a clear check gives C', () => {
    const deps = { triage: table, catalogue: CATALOGUE, aspectFallback: ASPECT_FALLBACK };
    const emergency = startTriage(new Chat(createConversationMachine(deps)));
    emergency.send(intent('unsure')); // one at a time: bladder first
    const e = emergency.send(yes());
    expect(e.outcome.disposition).toMatchObject({
      level: 'E',
      ruleIds: ['ce-bladder'],
      version: table.version,
    });
    expect(e.replies.map((r) => r.key)).toContain('reason.ce_bladder');

    const clear = startTriage(new Chat(createConversationMachine(deps)));
    for (const _ of SCREEN) clear.send(no());
    clear.send(entities({ locations: ['buttock'] }));
    clear.send(entities({ durationDays: 4 }));
    clear.send(entities({ painScore: 3 }));
    clear.send(pick('option:sitting'));
    clear.send(entities({ age: 30 }));
    expect(clear.send(pick('option:better')).outcome.disposition).toEqual({
      level: 'C',
      ruleIds: [],
      version: table.version,
      via: 'triage',
    });
  });
});
