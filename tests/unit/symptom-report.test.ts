/**
 * The symptom-report reader (src/nlu/symptom-report.ts) on the real word lists in
 * knowledge/language.yaml and the real red-flag table: what it reports, in both directions.
 * Wordings written for this test, apart from the lists themselves.
 */
import { describe, expect, it } from 'vitest';
import { loadNlu } from '../../src/nlu/load.js';
import { understand } from '../../src/nlu/understand.js';
import { REAL_KNOWLEDGE } from '../helpers/service.js';

const { model } = loadNlu(REAL_KNOWLEDGE);
const read = (text: string) => understand(text, {}, model, { now: new Date(Date.UTC(2026, 10, 18, 10)) });

describe('symptom reports', () => {
  it('when a person describes their own pain in a covered place, then it is a report about themselves', () => {
    for (const text of [
      'my hip and bum have been throbbing since sunday',
      'the back of my thigh has been killing me all week',
      'pain in lower back spreading into the left buttock since last week',
    ]) {
      expect(read(text).report, text).toMatchObject({ subject: 'self' });
    }
  });

  it('when a message asks for a check or for what to do, then the report says it is a request', () => {
    expect(read('please check my symptoms, my thigh aches').report).toMatchObject({ request: true });
    expect(read('my calf and bum hurt, what should i do').report).toMatchObject({ request: true });
    expect(read('my calf and bum hurt since monday').report).toMatchObject({ request: false });
  });

  it('when a message is a general question, a search, or about another body part, then it is no report', () => {
    for (const text of [
      'what causes sciatica',
      'back pain exercises',
      'i have a sore throat',
      'hello there',
    ]) {
      expect(read(text).report, text).toBeUndefined();
    }
  });

  it('when a clause is phrased as a question, then the report says so; a statement with "when" or "have had" does not', () => {
    expect(read('aching bum cheek when i sit, could it be a trapped nerve').report?.question).toBe(true);
    expect(read('my back hurts, is this normal?').report?.question).toBe(true);
    expect(read('my bum aches when i sit on the bus').report?.question).toBe(false);
    expect(read('ive had pain in my lower back for 2 weeks').report?.question).toBe(false);
  });

  it('when a message says better or worse, then the trend is read with its negation', () => {
    expect(read('my sciatica is easing off now').report?.trend).toBe('better');
    expect(read('my sciatica is not getting any better').report?.trend).toBe('same');
    expect(read('my leg pain is getting worse').report?.trend).toBe('worse');
    expect(read('my leg pain started on monday').report?.trend).toBeUndefined();
  });
});

describe("someone else's signs", () => {
  it("when a message is about another person with a warning sign, then their signs are reported apart from the writer's", () => {
    const u = read("my boyfriend says he can't wee properly since his back went");
    expect(u.otherSignals).toContain('ce.bladder');
    expect(u.signals).not.toContain('ce.bladder');
    expect(u.report).toMatchObject({ subject: 'other' });
  });

  it('when another person only has a history, or the writer describes their own pain and mentions the other person as context, then no sign of theirs is reported', () => {
    expect(read('my aunt had cancer last year').otherSignals).toEqual([]);
    const carer = read('my back hurts from lifting my mum, she is incontinent');
    expect(carer.otherSignals).toEqual([]);
    expect(carer.report).toMatchObject({ subject: 'self' });
  });
});

describe('answer cues', () => {
  it('when a reply names a warning sign, then it is reported as mentioned whatever it says about it', () => {
    expect(read('no temperature at all').mentions).toContain('systemic.fever');
    expect(read('never had a fall').mentions).toContain('trauma.major');
    expect(read('yes').mentions).toEqual([]);
  });

  it('when a reply narrows itself, points at the list, or puts the check off, then that is reported; plain replies are not', () => {
    expect(read('only a bit of tingling in one foot').only).toBe(true);
    expect(read('none of the above').listRef).toBe(true);
    expect(read('maybe later thanks').notNow).toBe(true);
    const plain = read('no');
    expect([plain.only, plain.listRef, plain.notNow]).toEqual([false, false, false]);
  });
});
