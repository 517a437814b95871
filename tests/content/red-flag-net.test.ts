/**
 * The learned red-flag net with the real knowledge base: it catches wordings the rule table misses,
 * does not cry wolf, and its held-out figures stay above floors a little under the measured ones
 * (npm run eval prints them). tests/eval/redflag-net-dev.yaml was used to choose the classifier and
 * the threshold; tests/eval/redflag-heldout.yaml was written apart from the rules and the net's
 * wordings and nothing was tuned on it.
 */
import { redFlagHits } from '../../dialogs/triage-rules.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadNlu } from '../../src/nlu/load.js';
import { understand } from '../../src/nlu/understand.js';
import { evaluateRedFlags, loadRedFlagSet } from '../eval/evaluate.js';
import { REAL_KNOWLEDGE, ROOT } from '../helpers/service.js';

/** The red-flag rules a message fires on its own (the machine applies the triage table the same way). */
const hitsOf = (u: { signals: string[] }, m: { triage: Parameters<typeof redFlagHits>[2] }) =>
  redFlagHits([], u.signals, m.triage);

const { model, knowledge } = loadNlu(REAL_KNOWLEDGE);
const tableOnly = { ...model, redFlagNet: undefined };
const dev = (
  parse(readFileSync(path.join(ROOT, 'tests/eval/redflag-net-dev.yaml'), 'utf8')) as {
    items: Array<{ text: string; sign: string }>;
  }
).items;
const actsOn = knowledge.redFlagNet?.settings.acts_on ?? [];
const signalsOf = (m: typeof model, text: string) => understand(text, {}, m).signals;

describe('the learned red-flag net, on the development set', () => {
  const positives = dev.filter((i) => actsOn.includes(i.sign));
  const negatives = dev.filter((i) => i.sign === 'none');

  it('when the knowledge base has red-flag-net.yaml, then the model has a net', () => {
    expect(model.redFlagNet).toBeDefined();
  });

  it('when signs are worded in ways the table misses, then table + net finds clearly more of them', () => {
    const table = positives.filter((i) => signalsOf(tableOnly, i.text).includes(i.sign)).length;
    const both = positives.filter((i) => signalsOf(model, i.text).includes(i.sign)).length;
    expect(both / positives.length).toBeGreaterThanOrEqual(0.6);
    expect(both - table).toBeGreaterThanOrEqual(8);
  });

  it('when a message is a near miss (negation, reassurance, exercise, long ago, a question), then the net adds nothing', () => {
    const added = negatives.filter((i) => (understand(i.text, {}, model).redFlagGaps ?? []).length > 0);
    expect(added.map((i) => i.text)).toEqual([]);
  });

  it('when the net adds a sign, then it is recorded as a rule gap and escalates like the rule would', () => {
    const caught = positives.find(
      (i) => !signalsOf(tableOnly, i.text).includes(i.sign) && signalsOf(model, i.text).includes(i.sign),
    );
    expect(caught).toBeDefined();
    const u = understand(caught!.text, {}, model);
    expect(u.redFlagGaps?.map((g) => g.signal)).toContain(caught!.sign);
    expect(hitsOf(u, model).some((r) => r.level === 'E')).toBe(true);
  });

  it('when the table already finds the sign, then no rule gap is recorded', () => {
    const u = understand("I can't feel the toilet paper when I wipe", {}, model);
    expect(u.signals).toContain('ce.saddle_numbness');
    expect(u.redFlagGaps).toBeUndefined();
  });
});

describe('questions about warning signs', () => {
  it.each([
    'why do doctors ask about bladder problems with back pain',
    'what if both legs go weak',
    'can back pain make you incontinent',
  ])(
    'when someone asks "%s", then it is answered from the warning-signs entry and nothing escalates',
    (text) => {
      const u = understand(text, {}, model);
      expect(u.intent).toBe('question');
      expect(u.topics[0]?.id).toBe('red-flags');
      expect(hitsOf(u, model)).toEqual([]);
    },
  );
});

describe('red flags on the held-out set (floors under the measured figures)', () => {
  const items = loadRedFlagSet(path.join(ROOT, 'tests/eval/redflag-heldout.yaml'));
  const table = evaluateRedFlags(tableOnly, items);
  const both = evaluateRedFlags(model, items);

  it('when the net is added to the table, then recall rises and false alarms stay near the table alone', () => {
    expect(both.recall.rate).toBeGreaterThan(table.recall.rate);
    expect(both.emergencyRecall.rate).toBeGreaterThanOrEqual(0.85);
    expect(both.falseAlarm.rate - table.falseAlarm.rate).toBeLessThanOrEqual(0.03);
    expect(both.emergencyFalseAlarm.rate).toBeLessThanOrEqual(0.11);
  });
});
