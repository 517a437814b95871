import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fitTemperature,
  loadClassifier,
  trainClassifier,
  type Example,
  type TextClassifier,
  rng,
} from '../../src/nlu/classifier.js';

const pick = <T>(next: () => number, xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;

/**
 * A synthetic intent task: each label has its own content words; every sentence wraps them in
 * filler shared by all labels, so only the content words tell the labels apart.
 */
const CONTENT: Record<string, string[]> = {
  weather: ['rain', 'sunny', 'forecast', 'temperature', 'umbrella', 'storm'],
  music: ['song', 'playlist', 'album', 'guitar', 'concert', 'band'],
  food: ['pizza', 'recipe', 'dinner', 'restaurant', 'pasta', 'salad'],
  travel: ['flight', 'hotel', 'airport', 'passport', 'luggage', 'train'],
};
const FILLER = [
  'can you tell me about',
  'i want to know about the',
  'what about my',
  'please help with',
  'any news on',
  '',
];

function synthetic(seed: number, perLabel: number): Example[] {
  const next = rng(seed);
  const out: Example[] = [];
  for (const [label, words] of Object.entries(CONTENT)) {
    for (let i = 0; i < perLabel; i++) {
      out.push({
        text: `${pick(next, FILLER)} ${pick(next, words)} ${pick(next, FILLER)} ${pick(next, words)}`.trim(),
        label,
      });
    }
  }
  return out;
}

function accuracy(clf: TextClassifier, data: readonly Example[]): number {
  return data.filter((e) => clf.predict(e.text)[0]?.label === e.label).length / data.length;
}

describe('trainClassifier', () => {
  const train = synthetic(1, 15);
  const heldOut = synthetic(2, 10);

  it('learns a small synthetic task', () => {
    const clf = trainClassifier(train);
    expect(clf.labels).toEqual(Object.keys(CONTENT).sort());
    expect(accuracy(clf, heldOut)).toBeGreaterThanOrEqual(0.95);
  });

  it('is deterministic: two trainings give identical models and predictions', () => {
    const a = trainClassifier(train);
    const b = trainClassifier(train);
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    for (const e of heldOut) expect(b.predict(e.text)).toEqual(a.predict(e.text));
  });

  it('a different seed gives a different model (the seed is used)', () => {
    const a = trainClassifier(train, { seed: 1, calibration: 'none' });
    const b = trainClassifier(train, { seed: 2, calibration: 'none' });
    expect(a.toJSON().weights).not.toBe(b.toJSON().weights);
  });

  it('survives a JSON round trip with identical predictions', () => {
    const clf = trainClassifier(train);
    const text = JSON.stringify(clf.toJSON());
    for (const loaded of [loadClassifier(text), loadClassifier(JSON.parse(text))]) {
      expect(loaded.labels).toEqual(clf.labels);
      for (const e of [...heldOut, { text: 'something else entirely', label: '' }]) {
        expect(loaded.predict(e.text)).toEqual(clf.predict(e.text));
      }
    }
  });

  it('returns every label once, ranked, with probabilities that sum to 1', () => {
    const clf = trainClassifier(train);
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const ranked = clf.predict(text);
        expect(ranked.map((r) => r.label).sort()).toEqual([...clf.labels]);
        let sum = 0;
        for (let i = 0; i < ranked.length; i++) {
          const r = ranked[i]!;
          expect(r.p).toBeGreaterThanOrEqual(0);
          expect(r.p).toBeLessThanOrEqual(1);
          if (i > 0) expect(r.p).toBeLessThanOrEqual(ranked[i - 1]!.p);
          sum += r.p;
        }
        expect(sum).toBeCloseTo(1, 9);
      }),
    );
  });

  it('does not throw on empty or whitespace input, and has no preference there', () => {
    const clf = trainClassifier(train);
    for (const text of ['', '   ', '\n\t ', '?!', '👍']) {
      const ranked = clf.predict(text);
      expect(ranked).toHaveLength(clf.labels.length);
      for (const r of ranked) expect(r.p).toBeCloseTo(1 / clf.labels.length, 9);
    }
  });

  it('is less sure about text made of words it never saw', () => {
    const clf = trainClassifier(train);
    const known = clf.predict('a storm and rain forecast')[0]!;
    const unknown = clf.predict('xylophone quantum zebra')[0]!;
    expect(known.label).toBe('weather');
    expect(unknown.p).toBeLessThan(known.p);
  });

  it('recognises misspelt keywords through character n-grams', () => {
    const labels = {
      sciatica: 'sciatica',
      piriformis: 'piriformis syndrome',
      stenosis: 'spinal stenosis',
      bursitis: 'hip bursitis',
    };
    const templates = [
      'what is {}',
      'tell me about {}',
      'can {} cause buttock pain',
      'how is {} treated',
      '{}?',
      'i think i have {}',
    ];
    const examples = Object.entries(labels).flatMap(([label, name]) =>
      templates.map((t) => ({ text: t.replace('{}', name), label })),
    );
    const withChars = trainClassifier(examples);
    const withoutChars = trainClassifier(examples, { features: { charMax: 0 } });
    const typos: Array<[string, string]> = [
      ['what is sciatia', 'sciatica'],
      ['tell me about piriformus', 'piriformis'],
      ['can stenossis cause this', 'stenosis'],
      ['bursitus treatment', 'bursitis'],
    ];
    for (const [text, label] of typos) {
      expect(withChars.predict(text)[0]!.label).toBe(label);
      const p = (clf: TextClassifier): number => clf.predict(text).find((r) => r.label === label)!.p;
      expect(p(withChars)).toBeGreaterThan(p(withoutChars));
    }
  });

  it('fits a temperature on held-out examples when given them', () => {
    const clf = trainClassifier(train, { calibration: heldOut });
    expect(clf.toJSON().temperature).toBeGreaterThan(0);
    expect(clf.toJSON().temperature).not.toBe(1);
    const none = trainClassifier(train, { calibration: 'none' });
    expect(none.toJSON().temperature).toBe(1);
  });

  it('trains with a single label and rejects no examples', () => {
    const one = trainClassifier([{ text: 'hello there', label: 'greeting' }]);
    expect(one.predict('hello')).toEqual([{ label: 'greeting', p: 1 }]);
    expect(() => trainClassifier([])).toThrow();
  });
});

describe('loadClassifier', () => {
  it('rejects an unknown format or weights that do not fit', () => {
    const json = trainClassifier(synthetic(3, 5)).toJSON();
    expect(() => loadClassifier({ ...json, format: 2 as 1 })).toThrow();
    expect(() => loadClassifier({ ...json, weights: json.weights.slice(0, 8) })).toThrow();
    expect(() => loadClassifier('{}')).toThrow();
  });
});

describe('fitTemperature', () => {
  it('recovers the temperature that generated the labels', () => {
    const next = rng(7);
    const data: Array<{ logits: Float64Array; label: number }> = [];
    const trueT = 2;
    for (let i = 0; i < 4000; i++) {
      const z = Float64Array.from({ length: 5 }, () => 4 * next() - 2);
      const e = Array.from(z, (v) => Math.exp(v / trueT));
      const sum = e.reduce((a, b) => a + b, 0);
      let u = next() * sum;
      let label = 0;
      while (label < 4 && u > e[label]!) u -= e[label++]!;
      data.push({ logits: z, label });
    }
    expect(fitTemperature(data)).toBeCloseTo(trueT, 0);
    expect(fitTemperature([])).toBe(1);
  });
});
