import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_OPTIONS, extractFeatures, Vectorizer } from '../../src/nlu/text.js';
import {
  fold,
  foldPhrase,
  isPossessive,
  negativeContractions,
  normalize,
  stem,
  tokenize,
} from '../../src/text/fold.js';

function norm(v: { val: Float32Array }): number {
  let s = 0;
  for (const x of v.val) s += x * x;
  return Math.sqrt(s);
}

function cosine(
  a: { idx: Int32Array; val: Float32Array },
  b: { idx: Int32Array; val: Float32Array },
): number {
  const m = new Map<number, number>();
  a.idx.forEach((i, k) => m.set(i, a.val[k]!));
  let dot = 0;
  b.idx.forEach((i, k) => (dot += (m.get(i) ?? 0) * b.val[k]!));
  return dot / (norm(a) * norm(b) || 1);
}

describe('normalize / tokenize', () => {
  it('lower-cases and folds accents, ligatures and full-width letters', () => {
    expect(tokenize('SCIÁTICA Naïve ﬁle ＡＢＣ')).toEqual(['sciatica', 'naive', 'file', 'abc']);
  });

  it('expands contractions, with curly or missing apostrophes', () => {
    expect(tokenize("I don't know")).toEqual(['i', 'do', 'not', 'know']);
    expect(tokenize('I’m sore')).toEqual(['i', 'am', 'sore']);
    expect(tokenize("can't sit")).toEqual(['can', 'not', 'sit']);
    expect(tokenize('dont cant wont im')).toEqual(['do', 'not', 'can', 'not', 'will', 'not', 'i', 'am']);
    expect(tokenize("it's what's")).toEqual(['it', 'is', 'what', 'is']);
    expect(tokenize("the doctor's advice")).toEqual(['the', 'doctor', 'advice']);
  });

  it('keeps negations, question words and digits (no stopword list)', () => {
    const t = tokenize('Why have I never been able to walk for 3 weeks? How, when, where?');
    for (const w of ['why', 'never', '3', 'how', 'when', 'where']) expect(t).toContain(w);
    expect(tokenize('it does not hurt')).toContain('not');
  });

  it('returns nothing for empty, whitespace and punctuation-only text', () => {
    for (const s of ['', '   ', '\n\t', '?!...', '👍']) expect(tokenize(s)).toEqual([]);
  });

  it('is idempotent and only yields letter/digit tokens', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => {
        const once = normalize(s);
        expect(normalize(once)).toBe(once);
        for (const t of tokenize(s)) expect(t).toMatch(/^[\p{L}\p{N}]+$/u);
      }),
    );
  });
});

describe('the one fold and its forms', () => {
  it('when any apostrophe is typed, then fold() gives the same text and keeps punctuation', () => {
    for (const typed of ["Can't", 'Can’t', 'CAN‘T', 'Canʼt', 'Can`t', 'Can´t'])
      expect(fold(typed)).toBe("can't");
    expect(fold('Straße, café!')).toBe('strasse, cafe!');
  });

  it('when a pattern phrase is folded, then apostrophes go and hyphens are spaces', () => {
    expect(foldPhrase("Can't feel my left-leg…")).toBe('cant feel my left leg...');
  });

  it('when text is normalised, then it is the fold with contractions expanded', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        expect(normalize(s)).toBe(normalize(fold(s)));
      }),
    );
    expect(normalize("It's my mum's back, I don't know")).toBe('it is my mum back i do not know');
  });

  it('when "\'s" follows a pronoun or question word, then it is "is", else a possessive', () => {
    expect(isPossessive("mum's")).toBe(true);
    expect(isPossessive("it's")).toBe(false);
    expect(isPossessive("what's")).toBe(false);
    expect(isPossessive('its')).toBe(false);
  });

  it('when negative contractions of some auxiliaries are asked for, then they come from the one table', () => {
    expect([...negativeContractions(['can', 'do'])].sort()).toEqual(['cannot', 'cant', 'dont']);
    expect(normalize('cannot')).toBe('can not');
  });
});

describe('stem', () => {
  it('applies the Porter stemmer and leaves numbers alone', () => {
    expect(stem('running')).toBe(stem('runs'));
    expect(stem('treatments')).toBe(stem('treatment'));
    expect(stem('2024')).toBe('2024');
  });
});

describe('extractFeatures', () => {
  it('has word unigrams, bigrams and character n-grams that never cross a word boundary', () => {
    const f = extractFeatures('sore back', DEFAULT_FEATURE_OPTIONS);
    const keys = [...f.keys()];
    expect(keys.some((k) => k.startsWith('w '))).toBe(true);
    expect(keys.some((k) => k.startsWith('b '))).toBe(true);
    const chars = keys.filter((k) => k.startsWith('c ')).map((k) => k.slice(2));
    expect(chars.length).toBeGreaterThan(0);
    for (const c of chars) expect(c).not.toMatch(/\s/);
    const { charMin, charMax } = DEFAULT_FEATURE_OPTIONS;
    for (const c of chars) {
      expect(c.length).toBeGreaterThanOrEqual(charMin);
      expect(c.length).toBeLessThanOrEqual(charMax);
    }
  });

  it('counts repeated features', () => {
    const f = extractFeatures('pain pain pain', { ...DEFAULT_FEATURE_OPTIONS, charMax: 0 });
    expect(Math.max(...f.values())).toBe(3);
  });

  it('can switch character n-grams and bigrams off', () => {
    const f = extractFeatures('sore back', { ...DEFAULT_FEATURE_OPTIONS, charMax: 0, wordBigrams: false });
    expect([...f.keys()].every((k) => k.startsWith('w '))).toBe(true);
  });
});

describe('Vectorizer', () => {
  const texts = [
    'what is sciatica',
    'pain in my buttock',
    'how do I book an appointment',
    'low back pain at night',
  ];

  it('gives unit-length vectors for known text and a short one when words are unknown', () => {
    const v = Vectorizer.fit(texts);
    expect(norm(v.transform('what is sciatica'))).toBeCloseTo(1, 5);
    const partly = norm(v.transform('what is zzqx wibble'));
    expect(partly).toBeGreaterThan(0);
    expect(partly).toBeLessThan(0.9);
    expect(v.transform('qqqq').idx.length).toBe(0);
    expect(v.transform('').idx.length).toBe(0);
  });

  it('returns ascending feature indices', () => {
    const v = Vectorizer.fit(texts);
    const x = v.transform('low back pain in my buttock at night');
    for (let k = 1; k < x.idx.length; k++) expect(x.idx[k]!).toBeGreaterThan(x.idx[k - 1]!);
  });

  it('is deterministic and survives a JSON round trip', () => {
    const a = Vectorizer.fit(texts);
    const b = Vectorizer.fit(texts);
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    const c = Vectorizer.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    const x = a.transform('night pain in the buttock');
    const y = c.transform('night pain in the buttock');
    expect(Array.from(y.idx)).toEqual(Array.from(x.idx));
    expect(Array.from(y.val)).toEqual(Array.from(x.val));
  });

  it('keeps misspelt words close to the right word through character n-grams', () => {
    const words = ['sciatica', 'piriformis', 'stenosis', 'spondylolisthesis', 'osteoporosis'];
    const v = Vectorizer.fit(words);
    const typos: Array<[string, string]> = [
      ['sciatia', 'sciatica'],
      ['piriformus', 'piriformis'],
      ['stenossis', 'stenosis'],
    ];
    for (const [typo, right] of typos) {
      const x = v.transform(typo);
      const best = words.map((w) => [w, cosine(x, v.transform(w))] as const).sort((p, q) => q[1] - p[1])[0]!;
      expect(best[0]).toBe(right);
    }
    // Without character n-grams a misspelt word has no known feature at all.
    const wordsOnly = Vectorizer.fit(words, { charMax: 0 });
    expect(wordsOnly.transform('sciatia').idx.length).toBe(0);
  });
});
