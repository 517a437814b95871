/**
 * The red-flag detector's prefilter (src/nlu/red-flags.ts) skips a rule when the message lacks a
 * word that every pattern of the rule needs (src/text/patterns.ts: requirements()). It is there
 * for speed only: with and without it, every message must give exactly the same detection.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadRedFlagTable } from '../../src/knowledge/clinical-tables.js';
import { compileRedFlags } from '../../src/nlu/red-flags.js';
import { PatternCompiler } from '../../src/text/patterns.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const loaded = loadRedFlagTable(path.join(root, 'knowledge/red-flags.yaml'));
if (!loaded.table)
  throw new Error(`knowledge/red-flags.yaml cannot be used: ${JSON.stringify(loaded.problems)}`);
const table = loaded.table;
const fast = compileRedFlags(table);
const plain = compileRedFlags(table, { prefilter: false });

const texts = (file: string): string[] =>
  (parse(readFileSync(path.join(root, file), 'utf8')) as { items: Array<{ text?: string }> }).items
    .map((i) => i.text)
    .filter((t): t is string => typeof t === 'string');

describe('PatternCompiler.requirements', () => {
  const compiler = new PatternCompiler(
    { area: ['bum', 'back*', 'down there'], numb: ['numb*', 'no feeling'] },
    3,
  );

  it('when a pattern has words, slots, optional parts and gaps, then only what every match has is required', () => {
    const [needs] = compiler.requirements(['[my] {area} ... (feels|is) {numb}']);
    const shown = needs!.map((s) => [[...s.words].sort(), [...s.prefixes].sort()]);
    expect(shown).toEqual([
      [['bum', 'down'], ['back']], // {area}: "down there" needs "down" (its smallest set)
      [['feels', 'is'], []],
      [['no'], ['numb']],
    ]);
  });

  it('when a pattern is all optional, then it requires nothing', () => {
    expect(compiler.requirements(['[my] [very]'])).toEqual([[]]);
  });
});

describe('red-flag prefilter', () => {
  const rulesExamples = table.rules.flatMap((r) => [...r.fires, ...r.does_not_fire]);
  const heldout = texts('tests/eval/redflag-heldout.yaml');
  const evalTexts = [...texts('tests/eval/nlu-eval.yaml'), ...texts('tests/eval/nlu-eval-2.yaml')];

  it.each([
    ['every fires and does_not_fire example of knowledge/red-flags.yaml', rulesExamples],
    ['every message of tests/eval/redflag-heldout.yaml', heldout],
    ['every message of the held-out NLU sets', evalTexts],
  ])(
    'when the detector reads %s, then it finds exactly what it finds without the prefilter',
    (_what, list) => {
      expect(list.length).toBeGreaterThan(50);
      const differ = list.filter((t) => JSON.stringify(fast.detect(t)) !== JSON.stringify(plain.detect(t)));
      expect(differ).toEqual([]);
    },
  );

  it('when the prefilter is on, then the table examples still fire (it is not skipping everything)', () => {
    const fired = table.rules.filter((r) => r.fires.some((t) => fast.detect(t).signals.includes(r.signal)));
    expect(fired.length).toBe(table.rules.filter((r) => r.fires.length > 0).length);
  });

  it('when words of the table examples are shuffled into new messages, then both detectors agree', () => {
    const words = [...new Set(rulesExamples.flatMap((t) => t.split(/\s+/)))].filter(Boolean);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 14 }), (picked) => {
        const text = picked.join(' ');
        expect(fast.detect(text)).toEqual(plain.detect(text));
      }),
      { numRuns: 400, seed: 10 },
    );
  });
});
