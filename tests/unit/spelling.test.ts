import { describe, expect, it } from 'vitest';
import { createSpellingCorrector, withinOneEdit } from '../../src/nlu/spelling.js';

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
