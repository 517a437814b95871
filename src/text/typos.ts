/**
 * The one typo corrector: a word that is not known is replaced by a target word one edit away (a
 * letter missing, extra or changed, or two neighbours swapped). Symmetric-deletion lookup (as in
 * SymSpell): every target is indexed under itself and each of its one-letter deletions, so a
 * lookup is a handful of map reads. Two configurations use it:
 *
 * - the classifier's (`frequencyPolicy`): targets are the words of the training examples; the
 *   most frequent candidate wins;
 * - the red-flag table's (`redFlagPolicy` in src/nlu/red-flags.ts): targets are the table's own
 *   words, a real English word (natural's lexicon) is never "corrected", and the likeliest slip
 *   wins (`rankTypo`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The words one deletion away ("back" -> "ack", "bck", "bak", "bac"). */
export function deletions(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1));
  return out;
}

/**
 * True when a and b are at most one insertion, deletion, substitution or adjacent swap apart (the
 * restricted Damerau-Levenshtein distance is 0 or 1).
 */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swap
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/**
 * How likely a one-edit typo is, lower first: a left-out letter ("numbess" for "numbness") is the
 * most common slip, then swapped letters, then a wrong letter, then an extra letter.
 */
export function rankTypo(typed: string, candidate: string): number {
  if (candidate.length > typed.length) return 0;
  if (candidate.length < typed.length) return 3;
  return [...typed].sort().join('') === [...candidate].sort().join('') ? 1 : 2;
}

export interface TypoCorrector {
  correct(word: string): string;
  correctText(words: readonly string[]): string[];
}

export interface TypoCorrectorOptions {
  /** The words a typo may be corrected to (lower-case letters; shorter than 4 letters are ignored). */
  targets: Iterable<string>;
  /** Words shorter than this are left alone (too many near neighbours). */
  minLength: number;
  /** A word this says is known is left alone (a target, or a real word that is not a typo). */
  isKnown(word: string): boolean;
  /** Picks the correction among the targets one edit away (in index order); undefined = none. */
  choose(word: string, candidates: readonly string[]): string | undefined;
}

const TARGET_RE = /^[a-z]{4,}$/;
const WORD_RE = /^[a-z]+$/;
const CACHE_LIMIT = 10_000;

export function createTypoCorrector(options: TypoCorrectorOptions): TypoCorrector {
  const index = new Map<string, string[]>();
  const add = (key: string, word: string): void => {
    const list = index.get(key);
    if (list === undefined) index.set(key, [word]);
    else if (!list.includes(word)) list.push(word);
  };
  for (const word of new Set(options.targets)) {
    if (!TARGET_RE.test(word)) continue;
    add(word, word);
    for (const d of deletions(word)) add(d, word);
  }
  const cache = new Map<string, string>();
  const correct = (word: string): string => {
    if (word.length < options.minLength || !WORD_RE.test(word)) return word;
    const hit = cache.get(word);
    if (hit !== undefined) return hit;
    let result = word;
    if (!options.isKnown(word)) {
      const candidates: string[] = [];
      const seen = new Set<string>();
      for (const key of [word, ...deletions(word)]) {
        for (const c of index.get(key) ?? []) {
          if (seen.has(c)) continue;
          seen.add(c);
          if (c !== word && withinOneEdit(word, c)) candidates.push(c);
        }
      }
      result = options.choose(word, candidates) ?? word;
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(word, result);
    return result;
  };
  return { correct, correctText: (words) => words.map(correct) };
}

/** The classifier's configuration: targets are word counts; the most frequent candidate wins (the first on a tie). */
export function frequencyPolicy(
  frequencies: ReadonlyMap<string, number>,
  minLength = 5,
): TypoCorrectorOptions {
  return {
    targets: frequencies.keys(),
    minLength,
    isKnown: (word) => frequencies.has(word),
    choose: (_word, candidates) => {
      let best: string | undefined;
      let bestCount = 0;
      for (const c of candidates) {
        const count = frequencies.get(c) ?? 0;
        if (count > bestCount) {
          best = c;
          bestCount = count;
        }
      }
      return best;
    },
  };
}

/**
 * The likeliest slip among the candidates: one with the same first letter, then by rankTypo, then
 * alphabetical (so the choice never depends on the order the targets were listed in).
 */
export function likeliestSlip(word: string, candidates: readonly string[]): string | undefined {
  return [...candidates].sort(
    (a, b) =>
      Number(b[0] === word[0]) - Number(a[0] === word[0]) ||
      rankTypo(word, a) - rankTypo(word, b) ||
      (a < b ? -1 : 1),
  )[0];
}

const requireCjs = createRequire(import.meta.url);
let englishWords: ReadonlySet<string> | undefined;

/** natural's English part-of-speech lexicon (~93k words, lower case): "a real word, not a typo". */
export function englishLexicon(): ReadonlySet<string> {
  if (englishWords === undefined) {
    const file = requireCjs.resolve(
      'natural/lib/natural/brill_pos_tagger/data/English/lexicon_from_posjs.json',
    );
    const words = Object.keys(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
    englishWords = new Set(words.map((w) => w.toLowerCase()));
  }
  return englishWords;
}

let englishNounSet: ReadonlySet<string> | undefined;

/** The words of natural's lexicon that are only ever nouns, lower case. */
export function englishNouns(): ReadonlySet<string> {
  if (englishNounSet === undefined) {
    const file = requireCjs.resolve(
      'natural/lib/natural/brill_pos_tagger/data/English/lexicon_from_posjs.json',
    );
    const tags = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string[]>;
    const nouns = new Set<string>();
    const seen = new Set<string>();
    for (const [word, list] of Object.entries(tags)) {
      const lower = word.toLowerCase();
      // The lower-case entry speaks for the word when both exist ("may" the verb, not "May").
      if (seen.has(lower) && word !== lower) continue;
      seen.add(lower);
      // Only a noun: "counts" can be a verb, "fertility" cannot.
      if (list.length > 0 && list.every((t) => t.startsWith('NN'))) nouns.add(lower);
      else nouns.delete(lower);
    }
    englishNounSet = nouns;
  }
  return englishNounSet;
}

/** The classifier's corrector: the words of the training examples and their counts. */
export type SpellingCorrector = TypoCorrector;
export function createSpellingCorrector(frequencies: ReadonlyMap<string, number>): SpellingCorrector {
  return createTypoCorrector(frequencyPolicy(frequencies));
}
