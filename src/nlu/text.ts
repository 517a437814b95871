/**
 * Sparse features for the intent classifier, over the words of the one text fold (src/text/fold.ts:
 * normalize() and tokenize() keep digits and negation / question words: no stopword list).
 *
 * Vectorizer:    word unigrams + bigrams of Porter stems and character n-grams inside word
 *                boundaries, weighted by sublinear tf x idf, L2-normalised per feature group.
 *
 * Pure and deterministic: the same texts always give the same vocabulary order and vectors.
 */
import { stem, tokenize } from '../text/fold.js';

// ---------------------------------------------------------------------------------------------
// Features

export interface FeatureOptions {
  /** Add word bigrams (of stems) to the unigrams. */
  wordBigrams: boolean;
  /** Character n-gram lengths, counted inside "<word>" (boundaries marked), e.g. 2..5. */
  charMin: number;
  charMax: number;
  /** Relative weight of the word group and the character group before the final L2 norm. */
  wordWeight: number;
  charWeight: number;
  /** tf -> 1 + ln(tf). */
  sublinearTf: boolean;
  /** Drop features seen in fewer training texts than this. */
  minDf: number;
}

export const DEFAULT_FEATURE_OPTIONS: Readonly<FeatureOptions> = {
  wordBigrams: true,
  charMin: 3,
  charMax: 5,
  wordWeight: 1,
  charWeight: 1,
  sublinearTf: true,
  minDf: 1,
};

/** Feature keys start with a group marker: "w" word, "b" bigram, "c" character n-gram. */
const WORD = 'w';
const BIGRAM = 'b';
const CHAR = 'c';

interface WordFeatures {
  /** "w <stem>" (and "w <digits>" for a number). */
  words: string[];
  /** The stem used in bigrams ("#" for a number). */
  stem: string;
  /** "c <n-gram>" keys. */
  chars: string[];
}

const WORD_CACHE_LIMIT = 50_000;
/** Per character-n-gram range: word -> its feature keys. Reusing the key strings also reuses their hashes. */
const wordCaches = new Map<string, Map<string, WordFeatures>>();

function wordFeatures(word: string, opts: FeatureOptions): WordFeatures {
  const rangeKey = `${opts.charMin}:${opts.charMax}`;
  let cache = wordCaches.get(rangeKey);
  if (cache === undefined) {
    cache = new Map();
    wordCaches.set(rangeKey, cache);
  }
  const hit = cache.get(word);
  if (hit !== undefined) return hit;
  const isNumber = /^\d+$/.test(word);
  const s = isNumber ? '#' : stem(word);
  const words = isNumber ? [`${WORD} #`, `${WORD} ${word}`] : [`${WORD} ${s}`];
  const chars: string[] = [];
  if (opts.charMax > 0) {
    const padded = `<${word}>`;
    for (let n = Math.max(1, opts.charMin); n <= opts.charMax && n <= padded.length; n++) {
      for (let i = 0; i + n <= padded.length; i++) chars.push(`${CHAR} ${padded.slice(i, i + n)}`);
    }
  }
  const out: WordFeatures = { words, stem: s, chars };
  if (cache.size >= WORD_CACHE_LIMIT) cache.clear();
  cache.set(word, out);
  return out;
}

/** Counts of raw feature keys for one text. */
export function extractFeatures(text: string, opts: FeatureOptions): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (key: string): void => {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const words = tokenize(text);
  let prev = '^';
  for (const word of words) {
    const f = wordFeatures(word, opts);
    for (const k of f.words) add(k);
    if (opts.wordBigrams) add(`${BIGRAM} ${prev} ${f.stem}`);
    prev = f.stem;
    for (const k of f.chars) add(k);
  }
  if (opts.wordBigrams && words.length > 0) add(`${BIGRAM} ${prev} $`);
  return counts;
}

/** A sparse vector: ascending feature indices and their values. */
export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
}

export interface VectorizerJSON {
  options: FeatureOptions;
  nDocs: number;
  features: string[];
  df: number[];
}

/** Packing base for (feature index, position) sort keys; exact in a double for any vocabulary. */
const POSITIONS = 2 ** 21;
/** Texts longer than this many characters are cut (features of a pasted essay add nothing). */
const MAX_TEXT = 20_000;

const GROUP_WORD = 0;
const GROUP_CHAR = 1;

function groupOf(key: string): number {
  return key.charCodeAt(0) === CHAR.charCodeAt(0) ? GROUP_CHAR : GROUP_WORD;
}

/**
 * TF-IDF vectoriser over the features above. Features never seen in training still count in
 * the L2 norm (with the idf of an unseen feature), so text made mostly of unknown words gives a
 * short vector and therefore low-confidence predictions rather than a confident guess.
 */
export class Vectorizer {
  readonly options: FeatureOptions;
  private readonly index: Map<string, number>;
  private readonly features: string[];
  private readonly df: number[];
  private readonly idf: Float64Array;
  private readonly nDocs: number;
  private readonly unseenIdf: number;
  /** Reused work buffers of vectorize() (grown on demand). */
  private scratch = {
    idx: new Int32Array(256),
    raw: new Float64Array(256),
    group: new Uint8Array(256),
    keys: new Float64Array(256),
  };

  private constructor(options: FeatureOptions, nDocs: number, features: string[], df: number[]) {
    this.options = options;
    this.nDocs = nDocs;
    this.features = features;
    this.df = df;
    this.index = new Map();
    this.idf = new Float64Array(features.length);
    features.forEach((f, i) => {
      this.index.set(f, i);
      this.idf[i] = Math.log((1 + nDocs) / (1 + (df[i] ?? 0))) + 1;
    });
    this.unseenIdf = Math.log(1 + nDocs) + 1;
  }

  /** Build the vocabulary from training texts (deterministic order). */
  static fit(texts: readonly string[], options: Partial<FeatureOptions> = {}): Vectorizer {
    return Vectorizer.fitTransform(texts, options).vectorizer;
  }

  /** fit() and transform() of the same texts, extracting their features once. */
  static fitTransform(
    texts: readonly string[],
    options: Partial<FeatureOptions> = {},
  ): { vectorizer: Vectorizer; vectors: SparseVector[] } {
    const opts: FeatureOptions = { ...DEFAULT_FEATURE_OPTIONS, ...options };
    const counts = texts.map((t) => extractFeatures(t, opts));
    const dfMap = new Map<string, number>();
    for (const c of counts) for (const key of c.keys()) dfMap.set(key, (dfMap.get(key) ?? 0) + 1);
    // Most frequent first (ties: first occurrence, as Map iteration and sort are stable): the
    // weight rows that every example touches then sit together in memory.
    const kept = [...dfMap].filter(([, n]) => n >= opts.minDf).sort((a, b) => b[1] - a[1]);
    const features = kept.map(([key]) => key);
    const df = kept.map(([, n]) => n);
    const vectorizer = new Vectorizer(opts, texts.length, features, df);
    return { vectorizer, vectors: counts.map((c) => vectorizer.vectorize(c)) };
  }

  static fromJSON(json: VectorizerJSON): Vectorizer {
    return new Vectorizer(
      { ...DEFAULT_FEATURE_OPTIONS, ...json.options },
      json.nDocs,
      json.features,
      json.df,
    );
  }

  toJSON(): VectorizerJSON {
    return { options: { ...this.options }, nDocs: this.nDocs, features: this.features, df: this.df };
  }

  get size(): number {
    return this.features.length;
  }

  featureName(i: number): string | undefined {
    return this.features[i];
  }

  /** Per word: the vocabulary index of each of its word and character keys (-1: not in it). */
  private readonly wordIndex = new Map<string, { words: Int32Array; chars: Int32Array }>();

  private indexOfWord(word: string, f: WordFeatures): { words: Int32Array; chars: Int32Array } {
    let hit = this.wordIndex.get(word);
    if (hit === undefined) {
      const at = (key: string) => this.index.get(key) ?? -1;
      hit = { words: Int32Array.from(f.words, at), chars: Int32Array.from(f.chars, at) };
      if (this.wordIndex.size >= WORD_CACHE_LIMIT) this.wordIndex.clear();
      this.wordIndex.set(word, hit);
    }
    return hit;
  }

  /**
   * Sparse, L2-normalised TF-IDF vector of a text (empty when the text has no features).
   * The same keys in the same first-seen order as extractFeatures() (so the same sums, bit for
   * bit), with each word's vocabulary indices looked up once per word rather than once per key.
   */
  transform(text: string): SparseVector {
    const opts = this.options;
    const words = tokenize(text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text);
    const slotOf = new Map<string, number>();
    const keyIndex: number[] = [];
    const counts: number[] = [];
    const groups: number[] = [];
    const add = (key: string, i: number, g: number): void => {
      const slot = slotOf.get(key);
      if (slot !== undefined) counts[slot]!++;
      else {
        slotOf.set(key, keyIndex.length);
        keyIndex.push(i);
        counts.push(1);
        groups.push(g);
      }
    };
    const bigram = (key: string) => add(key, this.index.get(key) ?? -1, GROUP_WORD);
    let prev = '^';
    for (const word of words) {
      const f = wordFeatures(word, opts);
      const at = this.indexOfWord(word, f);
      f.words.forEach((k, j) => add(k, at.words[j]!, GROUP_WORD));
      if (opts.wordBigrams) bigram(`${BIGRAM} ${prev} ${f.stem}`);
      prev = f.stem;
      f.chars.forEach((k, j) => add(k, at.chars[j]!, GROUP_CHAR));
    }
    if (opts.wordBigrams && words.length > 0) bigram(`${BIGRAM} ${prev} $`);
    return this.weigh(keyIndex, counts, groups);
  }

  private vectorize(counts: ReadonlyMap<string, number>): SparseVector {
    const keyIndex: number[] = [];
    const list: number[] = [];
    const groups: number[] = [];
    for (const [key, count] of counts) {
      keyIndex.push(this.index.get(key) ?? -1);
      list.push(count);
      groups.push(groupOf(key));
    }
    return this.weigh(keyIndex, list, groups);
  }

  /** The vector of features in first-seen order: vocabulary index (-1: unseen), count, group. */
  private weigh(
    keyIndex: readonly number[],
    counts: readonly number[],
    groups: readonly number[],
  ): SparseVector {
    const opts = this.options;
    const n = counts.length;
    if (this.scratch.idx.length < n) {
      const size = Math.max(n, 2 * this.scratch.idx.length);
      this.scratch = {
        idx: new Int32Array(size),
        raw: new Float64Array(size),
        group: new Uint8Array(size),
        keys: new Float64Array(size),
      };
    }
    const { idx, raw, group } = this.scratch;
    let wordNorm = 0;
    let charNorm = 0;
    let m = 0;
    for (let s = 0; s < n; s++) {
      const count = counts[s]!;
      const tf = count === 1 ? 1 : opts.sublinearTf ? 1 + Math.log(count) : count;
      const i = keyIndex[s]!;
      const v = tf * (i < 0 ? this.unseenIdf : this.idf[i]!);
      const g = groups[s]!;
      if (g === GROUP_CHAR) charNorm += v * v;
      else wordNorm += v * v;
      if (i < 0) continue;
      idx[m] = i;
      raw[m] = v;
      group[m] = g;
      m++;
    }
    const wordActive = wordNorm > 0 ? opts.wordWeight ** 2 : 0;
    const charActive = charNorm > 0 ? opts.charWeight ** 2 : 0;
    const total = wordActive + charActive > 0 ? 1 / Math.sqrt(wordActive + charActive) : 0;
    const wordScale = wordNorm > 0 ? (opts.wordWeight / Math.sqrt(wordNorm)) * total : 0;
    const charScale = charNorm > 0 ? (opts.charWeight / Math.sqrt(charNorm)) * total : 0;
    // Ascending feature order (the weight rows are then read front to back): sort packed
    // (index, position) keys numerically, which is much faster than a comparator sort.
    const keys = this.scratch.keys.subarray(0, m);
    for (let k = 0; k < m; k++) keys[k] = idx[k]! * POSITIONS + k;
    keys.sort();
    const outIdx = new Int32Array(m);
    const val = new Float32Array(m);
    for (let k = 0; k < m; k++) {
      const o = keys[k]! % POSITIONS;
      outIdx[k] = idx[o]!;
      val[k] = raw[o]! * (group[o] === GROUP_CHAR ? charScale : wordScale);
    }
    return { idx: outIdx, val };
  }
}
