/**
 * The one text fold: every part of the bot (the classifier, retrieval, the short-answer and
 * follow-up cues, the symptom reader, the red-flag patterns and their tokens, entities, the review
 * loop) reads text through these functions, so "don't", "dont" and "do n’t" mean the same
 * everywhere.
 *
 * fold():        unicode folding (é -> e, ﬁ -> fi, full-width -> ascii), lower case, ß -> ss, every
 *                apostrophe-like mark -> "'". Nothing else changes: punctuation and spaces stay.
 * normalize():   fold() + contraction expansion ("don't"/"dont" -> "do not", "it's" -> "it is", a
 *                possessive "'s" dropped) + everything that is not a letter or digit -> one space.
 * foldPhrase():  fold() with the apostrophes dropped and hyphens/dashes as spaces: the red-flag
 *                pattern language, whose words are written without apostrophes ("cant", "its").
 *
 * The contraction table is English morphology, not clinic wording: it stays here, once. Pure and
 * dependency-free except natural's Porter stemmer.
 */
import porterStemmer from 'natural/lib/natural/stemmers/porter_stemmer.js';

/** Every character people type as an apostrophe (’ ‘ ‛ ʼ ` ´ and '). */
export const APOSTROPHES = "'\u2018\u2019\u201b\u02bc\u0060\u00b4";
const APOSTROPHE_LIKE = /[\u2018\u2019\u201b\u02bc\u0060\u00b4]/g;

/** Lower case, accents and compatibility forms folded, ß -> ss, apostrophes unified to "'". */
export function fold(text: string): string {
  // Apostrophes first: NFKD would turn "´" into a space and a combining accent.
  return text
    .replace(APOSTROPHE_LIKE, "'")
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/ß/g, 'ss');
}

/** fold() without apostrophes and with hyphens and dashes as spaces ("can't" -> "cant", "x-ray" -> "x ray"). */
export function foldPhrase(text: string): string {
  return fold(text)
    .replace(/'/g, '')
    .replace(/[-\u2010-\u2014]/g, ' ');
}

// ---------------------------------------------------------------------------------------------
// Contractions: the one table

/** Whole-word contractions, with or without the apostrophe (people type "dont" and "im"). */
export const CONTRACTIONS: Readonly<Record<string, string>> = {
  "can't": 'can not',
  cant: 'can not',
  cannot: 'can not',
  "won't": 'will not',
  wont: 'will not',
  "shan't": 'shall not',
  "ain't": 'is not',
  aint: 'is not',
  dont: 'do not',
  doesnt: 'does not',
  didnt: 'did not',
  isnt: 'is not',
  arent: 'are not',
  wasnt: 'was not',
  werent: 'were not',
  havent: 'have not',
  hasnt: 'has not',
  hadnt: 'had not',
  couldnt: 'could not',
  shouldnt: 'should not',
  wouldnt: 'would not',
  mustnt: 'must not',
  neednt: 'need not',
  im: 'i am',
  ive: 'i have',
  youre: 'you are',
  youve: 'you have',
  theyre: 'they are',
  "let's": 'let us',
  whats: 'what is',
  wheres: 'where is',
  hows: 'how is',
  whos: 'who is',
  thats: 'that is',
  theres: 'there is',
};

/** Contraction endings, for the words the table does not list ("should've", "she'll"). */
const SUFFIXES: ReadonlyArray<[RegExp, string]> = [
  [/n't$/, ' not'],
  [/'re$/, ' are'],
  [/'ve$/, ' have'],
  [/'ll$/, ' will'],
  [/'d$/, ' would'],
  [/'m$/, ' am'],
];

/** Words after which "'s" means "is" or "has" ("it's"); after any other word it is a possessive. */
export const S_IS: ReadonlySet<string> = new Set([
  'it',
  'he',
  'she',
  'that',
  'this',
  'there',
  'here',
  'what',
  'where',
  'when',
  'who',
  'how',
  'why',
  'which',
  'let',
]);

/** True for "mum's" (a possessive), false for "it's" (it is). The word is fold()ed. */
export function isPossessive(word: string): boolean {
  return word.endsWith("'s") && !S_IS.has(word.slice(0, -2));
}

/**
 * The contracted forms, written without the apostrophe, of "<aux> not" for the given auxiliaries:
 * ["can", "do"] -> cant, cannot, dont. Read from the one table.
 */
export function negativeContractions(auxiliaries: Iterable<string>): Set<string> {
  const aux = new Set(auxiliaries);
  const out = new Set<string>();
  for (const [form, expansion] of Object.entries(CONTRACTIONS)) {
    const [first, second, ...rest] = expansion.split(' ');
    if (second === 'not' && rest.length === 0 && first !== undefined && aux.has(first))
      out.add(form.replace(/'/g, ''));
  }
  return out;
}

/** One fold()ed word -> its expansion ("don't" -> "do not", "mum's" -> "mum"), apostrophes kept. */
export function expandContraction(word: string): string {
  const whole = CONTRACTIONS[word];
  if (whole !== undefined) return whole;
  if (!word.includes("'")) return word;
  for (const [re, rep] of SUFFIXES) {
    if (re.test(word)) return word.replace(re, rep);
  }
  if (word.endsWith("'s")) {
    const base = word.slice(0, -2);
    return isPossessive(word) ? base : `${base} is`;
  }
  return word.replace(/'/g, '');
}

/**
 * One message is normalised a dozen times while it is understood (the classifier, the passage
 * search, the symptom reader...): the last 32 results (of texts up to 2,000 characters) are kept,
 * in memory only, and pushed out by the next messages.
 */
const RECENT_TEXTS = 32;
const RECENT_TEXT_LENGTH = 2000;
const recentlyNormalized = new Map<string, string>();

/**
 * fold(), contractions expanded ("don't" -> "do not", "i'm" -> "i am", "can't" -> "can not") and
 * everything that is not a letter or digit turned into single spaces.
 */
export function normalize(text: string): string {
  const hit = recentlyNormalized.get(text);
  if (hit !== undefined) return hit;
  const words = fold(text).split(/[^\p{L}\p{N}']+/u);
  const out: string[] = [];
  for (const raw of words) {
    const w = raw.replace(/^'+|'+$/g, '');
    if (w === '') continue;
    out.push(expandContraction(w).replace(/'/g, ''));
  }
  const result = out.join(' ').trim();
  if (text.length <= RECENT_TEXT_LENGTH) {
    if (recentlyNormalized.size >= RECENT_TEXTS)
      recentlyNormalized.delete(recentlyNormalized.keys().next().value!);
    recentlyNormalized.set(text, result);
  }
  return result;
}

/** Normalised words; digits, negations and question words are kept. */
export function tokenize(text: string): string[] {
  const n = normalize(text);
  return n === '' ? [] : n.split(' ');
}

const STEM_CACHE_LIMIT = 50_000;
const stemCache = new Map<string, string>();

/** Porter stem (natural's implementation), cached. Numbers are returned unchanged. */
export function stem(token: string): string {
  const hit = stemCache.get(token);
  if (hit !== undefined) return hit;
  const s = /^[a-z]+$/.test(token) ? porterStemmer.stem(token) : token;
  if (stemCache.size >= STEM_CACHE_LIMIT) stemCache.clear();
  stemCache.set(token, s);
  return s;
}

/** normalize() with every word reduced to its Porter stem. */
export function stemmed(text: string): string {
  return normalize(text).split(' ').filter(Boolean).map(stem).join(' ');
}
