import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSpellingCorrector,
  createTypoCorrector,
  englishLexicon,
  likeliestSlip,
  withinOneEdit,
} from '../../src/text/typos.js';

// natural's restricted Damerau-Levenshtein, the distance the red-flag corrector used before the
// two correctors became one: withinOneEdit must agree with it exactly.
const { DamerauLevenshteinDistance } = createRequire(import.meta.url)(
  'natural/lib/natural/distance/levenshtein_distance.js',
) as { DamerauLevenshteinDistance: (a: string, b: string, o: { restricted: boolean }) => number };

const corrector = createSpellingCorrector(
  new Map([
    ['appointment', 5],
    ['sciatica', 9],
    ['stenosis', 4],
    ['piriformis', 3],
    ['stretches', 2],
    ['stretchy', 1],
  ]),
);

describe('spelling correction before classification', () => {
  it.each([
    ['apointment', 'appointment'], // a letter missing
    ['sciatia', 'sciatica'],
    ['stenossis', 'stenosis'], // a letter extra
    ['piriformus', 'piriformis'], // a letter changed
    ['sciaitca', 'sciatica'], // two letters swapped
    ['zciatixa', 'zciatixa'], // two slips: left alone
  ])('when "%s" is typed, then it reads as "%s"', (typo, expected) => {
    expect(corrector.correct(typo)).toBe(expected);
  });

  it('when a word is known, short, or not a word, then it is left as it is', () => {
    expect(corrector.correct('stretchy')).toBe('stretchy');
    expect(corrector.correct('bak')).toBe('bak');
    expect(corrector.correct('7/10')).toBe('7/10');
  });

  it('when two known words are one edit away, then the more frequent one wins', () => {
    expect(corrector.correct('stretchs')).toBe('stretches');
  });

  it('when edits are counted, then swaps count as one and two changes do not pass', () => {
    expect(withinOneEdit('sciatcia', 'sciatica')).toBe(true);
    expect(withinOneEdit('abcdef', 'abxdyf')).toBe(false);
  });
});

describe('one edit-distance primitive', () => {
  it('when any two short words are compared, then withinOneEdit agrees with the restricted Damerau-Levenshtein distance', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 7 });
    fc.assert(
      fc.property(word, word, (a, b) => {
        expect(withinOneEdit(a, b)).toBe(DamerauLevenshteinDistance(a, b, { restricted: true }) <= 1);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('the red-flag configuration of the same corrector', () => {
  const table = createTypoCorrector({
    targets: ['bladder', 'ladder', 'numbness', 'rubbery', 'tingling'],
    minLength: 5,
    isKnown: (w) => englishLexicon().has(w),
    choose: likeliestSlip,
  });

  it('when a word is a real English word, then it is never corrected, even one edit from a target', () => {
    expect(englishLexicon().has('rubber')).toBe(true);
    expect(table.correct('rubber')).toBe('rubber');
    expect(table.correct('rubbeery')).toBe('rubbery'); // not a word: corrected
  });

  it('when several targets are one edit away, then the one with the same first letter wins', () => {
    expect(table.correct('bladdr')).toBe('bladder');
    expect(likeliestSlip('lbadder', ['bladder', 'ladder'])).toBe('ladder');
  });

  it('when a letter is left out or two are swapped, then the slip is corrected', () => {
    expect(table.correct('numbess')).toBe('numbness');
    expect(table.correct('tinlging')).toBe('tingling');
  });

  it('when the candidates come in another order, then the choice is the same', () => {
    const words = ['bladder', 'ladder', 'gladder'];
    expect(likeliestSlip('xladder', words)).toBe(likeliestSlip('xladder', [...words].reverse()));
  });
});
