/** Reading short answers, statements and options, with the real knowledge/language.yaml. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { languageFileSchema } from '../../src/knowledge/language-file.js';
import { compileLanguage, pickChoice } from '../../src/nlu/language.js';
import { REAL_KNOWLEDGE } from '../helpers/service.js';

const file = languageFileSchema.parse(
  parse(readFileSync(path.join(REAL_KNOWLEDGE, 'language.yaml'), 'utf8')),
);
const lang = compileLanguage(file);

describe('short answers', () => {
  it.each([
    ['yep', 'affirm'],
    ['go on then', 'affirm'],
    ['👍', 'affirm'],
    ['nope', 'deny'],
    ['no thanks', 'deny'],
    ["i don't think so", 'deny'],
    ['not sure', 'unsure'],
    ['dunno', 'unsure'],
  ])('when the whole message is "%s", then it is %s', (text, kind) => {
    expect(lang.shortAnswer(text)).toBe(kind);
  });

  it('when a message says more than a short answer, then it is not one', () => {
    expect(lang.shortAnswer('yes but only when i walk a long way and it goes down my leg')).toBeUndefined();
  });
});

describe('statements answering a yes/no question', () => {
  it.each([
    ["i've never had cancer", 'deny'],
    ['bowels are normal', 'deny'],
    ['dont think i have a temperature no', 'deny'],
    ['i didnt fall or have any accident', 'deny'],
    ['only one leg', 'deny'],
    ['i have had it before', 'affirm'],
  ])('when "%s" answers, then it reads as %s', (text, kind) => {
    expect(lang.polarity(text)).toBe(kind);
  });

  it('when a statement carries no yes or no (a location), then it has no polarity', () => {
    expect(lang.polarity('right side of my bum, sometimes the back of my thigh')).toBeUndefined();
  });
});

describe('questions and statements', () => {
  it.each([
    ['what does saddle numbness mean', true],
    ['sorry quick one, where do i park', true],
    ['can i come in today?', true],
    ['do not think so', false],
    ['i didnt fall', false],
    ['sitting for a long time', false],
  ])('when the message is "%s", then isQuestion is %s', (text, expected) => {
    expect(lang.isQuestion(text)).toBe(expected);
  });
});

describe('options and offered choices', () => {
  const worse = ['option:sitting', 'option:walking_standing', 'option:bending', 'option:nothing'];
  it("when an answer carries one option's words, then that option is picked; with two, none is", () => {
    expect(lang.optionBySynonym('sitting for a long time', worse)).toBe('option:sitting');
    expect(lang.optionBySynonym('sitting and bending', worse)).toBeUndefined();
  });

  it('when what was tried is named at the "is it getting better" question, then it is the hidden "tried" answer', () => {
    const progress = ['option:better', 'option:same', 'option:worse', 'option:not_tried'];
    expect(lang.optionBySynonym('ibuprofen and a bit of walking', progress)).toBe('option:tried');
  });

  it('when a number, an ordinal or a label is typed, then that offered choice is picked', () => {
    const choices = [
      { payload: 'intent:start_triage', label: 'Check my symptoms' },
      { payload: 'intent:book_appointment', label: 'Book an appointment' },
    ];
    expect(pickChoice('2', choices)).toBe('intent:book_appointment');
    expect(pickChoice('the first one', choices)).toBe('intent:start_triage');
    expect(pickChoice('book an appointment', choices)).toBe('intent:book_appointment');
    expect(pickChoice('3', choices)).toBeUndefined();
  });
});
