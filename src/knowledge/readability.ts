/**
 * Reading level, measured: the Flesch-Kincaid grade of a text. Reading age is about grade + 5, so
 * the target "reading age about 12" is a grade of about 7.
 *
 * Names of conditions that have no plain synonym (piriformis, sacroiliac) would push every answer
 * about them over the target, so words the caller lists as unavoidable count as two syllables.
 */
import { syllable } from 'syllable';

export interface ReadingLevel {
  grade: number;
  words: number;
  sentences: number;
}

const WORD = /[A-Za-z][A-Za-z'’-]*/g;

export function readingLevel(text: string, unavoidable: ReadonlySet<string> = new Set()): ReadingLevel {
  const plain = text
    .replace(/\{[^}]+\}/g, 'it') // placeholders read as one short word
    .replace(/https?:\/\/\S+/g, 'link')
    .replace(/[*_`#>]/g, ' ');
  const words = plain.match(WORD) ?? [];
  if (words.length === 0) return { grade: 0, words: 0, sentences: 0 };
  // Sentence ends, and list items (lines starting with "-" or a number) count as sentences.
  const sentences = Math.max(
    1,
    (plain.match(/[.!?]+(\s|$)/g) ?? []).length + (plain.match(/^\s*(?:[-•]|\d+\.)\s+/gm) ?? []).length,
  );
  let syllables = 0;
  for (const w of words) {
    const lower = w.toLowerCase();
    syllables += unavoidable.has(lower) ? Math.min(2, syllable(lower)) : Math.max(1, syllable(lower));
  }
  const grade = 0.39 * (words.length / sentences) + 11.8 * (syllables / words.length) - 15.59;
  return { grade: Math.round(grade * 10) / 10, words: words.length, sentences };
}
