import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { languageFileSchema } from '../../src/knowledge/language-file.js';
import { compileEntityWords, extractEntities, signalsFromEntities } from '../../src/nlu/entities.js';
import { REAL_KNOWLEDGE } from '../helpers/service.js';

/** The words of the real knowledge/language.yaml. */
const words = compileEntityWords(
  languageFileSchema.parse(parse(readFileSync(path.join(REAL_KNOWLEDGE, 'language.yaml'), 'utf8'))),
);

/** Wednesday 25 November 2026, 10:00 local time. */
const now = new Date(2026, 10, 25, 10, 0);
const e = (text: string) => extractEntities(text, { now, words });

describe('extractEntities: pain score', () => {
  it.each<[string, number]>([
    ['7/10', 7],
    ['7 out of 10', 7],
    ['about a seven', 7],
    ["it's a 6", 6],
    ['pain is 8 out of ten', 8],
    ['7-8/10', 8],
    ['8', 8],
    ['really bad', 8],
    ['unbearable', 10],
    ['mild', 3],
    ["it's not too bad", 3],
    ['moderate', 5],
    ['0', 0],
  ])('when the patient says "%s", then the pain score is %d', (text, score) => {
    expect(e(text).painScore).toBe(score);
  });

  it.each(['3 weeks', "I'm 67", 'about 3 weeks', 'it started 2 days ago', '11', 'a 2 hour drive'])(
    'when the patient says "%s", then there is no pain score',
    (text) => {
      expect(e(text).painScore).toBeUndefined();
    },
  );
});

describe('extractEntities: duration', () => {
  it.each<[string, number]>([
    ['3 weeks', 21],
    ['for 3 wks now', 21],
    ['a couple of months', 60],
    ['few days', 3],
    ['a fortnight', 14],
    ['a month and a half', 45],
    ['over 6 weeks', 43],
    ['ages', 365],
    ['a year', 365],
    ['since yesterday', 1],
    ['since Monday', 2],
    ['since last Wednesday', 7],
    ['since christmas', 335],
    ['since November', 24],
    ['it started 10 days ago, worse the last 2 days', 10],
  ])('when the patient says "%s", then the duration is %d days', (text, days) => {
    expect(e(text).durationDays).toBe(days);
  });

  it('when no clock is given, then dates that need one are not resolved', () => {
    expect(extractEntities('since Monday', { words }).durationDays).toBeUndefined();
    expect(extractEntities('for 2 weeks', { words }).durationDays).toBe(14);
  });

  it.each(['67 years old', 'my 10 year old', '7/10'])(
    'when the patient says "%s", then there is no duration',
    (text) => {
      expect(e(text).durationDays).toBeUndefined();
    },
  );
});

describe('extractEntities: age', () => {
  it.each<[string, number]>([
    ["I'm 67", 67],
    ['im 67 and retired', 67],
    ['67 years old', 67],
    ['67yo', 67],
    ['aged 45', 45],
    ['in my 70s', 70],
    ['in my late fifties', 58],
    ['I am sixty-seven', 67],
    ["I'm over 60", 61],
    ['born in 1950', 76],
  ])('when the patient says "%s", then the age is %d', (text, age) => {
    expect(e(text).age).toBe(age);
  });

  it.each(["I'm 6 weeks pregnant", "I'm 8/10", '67', "I'm 5 foot 6", 'I was off for 3 years'])(
    'when the patient says "%s", then there is no age',
    (text) => {
      expect(e(text).age).toBeUndefined();
    },
  );

  it('when the last question asked for an age, then a bare number is the age', () => {
    expect(extractEntities('67', { expecting: 'age', words })).toEqual({ age: 67 });
  });
});

describe('extractEntities: side and locations', () => {
  it.each<[string, 'left' | 'right' | 'both']>([
    ['left leg', 'left'],
    ['pain in my right buttock', 'right'],
    ['on the left side', 'left'],
    ['both legs', 'both'],
    ['left and right', 'both'],
    ['my left leg and my right buttock', 'both'],
    ['right', 'right'],
  ])('when the patient says "%s", then the side is %s', (text, side) => {
    expect(e(text).side).toBe(side);
  });

  it.each(['all right thanks', 'right now it hurts', 'I left work early'])(
    'when the patient says "%s", then there is no side',
    (text) => {
      expect(e(text).side).toBeUndefined();
    },
  );

  it('when the last question was yes/no, then a bare "right" is not a side', () => {
    expect(extractEntities('right', { expecting: 'yes_no', words }).side).toBeUndefined();
  });

  it.each<[string, string[]]>([
    ['my lower back hurts', ['low_back']],
    ['pain in my bum', ['buttock']],
    ['my butt and glute', ['buttock']],
    ['back of my thigh', ['thigh']],
    ['hamstring', ['thigh']],
    ['calf and shin', ['below_knee']],
    ['toes, heel and sole', ['foot']],
    [
      'from my lower back through my bum down to my calf and toes',
      ['low_back', 'buttock', 'below_knee', 'foot'],
    ],
    ['not in my foot, just my bum', ['buttock']],
  ])('when the patient says "%s", then the locations are %j', (text, locations) => {
    expect(e(text).locations).toEqual(locations);
  });

  it('when the back of the thigh or a back pocket is mentioned, then it is not low back', () => {
    expect(e('the back of my thigh').locations).toEqual(['thigh']);
    expect(e('my wallet is in my back pocket').locations).toBeUndefined();
  });
});

describe('entity words from language.yaml', () => {
  it('when staff add a word for a body area, then it is read as that area', () => {
    const file = languageFileSchema.parse(
      parse(readFileSync(path.join(REAL_KNOWLEDGE, 'language.yaml'), 'utf8')),
    );
    expect(extractEntities('pain in my coccyx', { words }).locations).toBeUndefined();
    const more = compileEntityWords({
      ...file,
      bodyLocations: { ...file.bodyLocations, buttock: [...file.bodyLocations.buttock, 'coccyx'] },
    });
    expect(extractEntities('pain in my coccyx', { words: more }).locations).toEqual(['buttock']);
  });

  it('when a place follows a negation, then it does not count, but "can\'t feel my foot" is about the foot', () => {
    expect(extractEntities("it isn't in my foot, it's my calf", { words }).locations).toEqual(['below_knee']);
    expect(extractEntities("I can't feel my foot", { words }).locations).toEqual(['foot']);
  });

  it('when a body word is only the start of another word, then it is not a place', () => {
    expect(extractEntities('I had to rearrange my heelys', { words }).locations).toBeUndefined();
    expect(extractEntities('I have back pains', { words }).locations).toEqual(['low_back']);
  });
});

describe('extractEntities: option number', () => {
  it.each<[string, number]>([
    ['2', 2],
    ['option 2', 2],
    ['the second one', 2],
    ['number two', 2],
    ['#3', 3],
    ['the first', 1],
  ])('when the patient says "%s", then the option is %d', (text, n) => {
    expect(e(text).choice).toBe(n);
  });

  it('when the last question offered options, then a bare number is only an option', () => {
    expect(extractEntities('2', { expecting: 'choice', words })).toEqual({ choice: 2 });
    expect(extractEntities('2', { expecting: 'pain_score', words })).toEqual({ painScore: 2 });
  });

  it('when a message has no numbers or places, then nothing is found', () => {
    expect(e('hello there')).toEqual({});
    expect(e('')).toEqual({});
  });
});

describe('signalsFromEntities', () => {
  it.each<[object, string[]]>([
    [{ age: 59 }, []],
    [{ age: 60 }, ['age.over_60']],
    [{ age: 19 }, ['age.under_20']],
    [{ age: 20 }, []],
    [{ age: 15 }, ['age.under_20', 'child']],
    [{ durationDays: 42 }, []],
    [{ durationDays: 43 }, ['duration.over_6_weeks']],
    [{ painScore: 10 }, []],
    [{ age: 70, durationDays: 90, painScore: 9 }, ['age.over_60', 'duration.over_6_weeks']],
  ])('when the entities are %j, then the signals are %j', (entities, signals) => {
    expect(signalsFromEntities(entities)).toEqual(signals);
  });

  it('when a message gives an age and a duration, then both signals follow', () => {
    expect(signalsFromEntities(e("I'm 72 and it's been going on for 3 months"))).toEqual([
      'age.over_60',
      'duration.over_6_weeks',
    ]);
  });
});
