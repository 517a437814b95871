/**
 * The understanding layer on the held-out sets, in CI: floors that catch a regression when content
 * or code changes. The floors sit a little under the measured figures (npm run eval prints them).
 * Safety floors are strict: a red flag missed on these sets fails the build.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNlu } from '../../src/nlu/load.js';
import { evaluate, loadEvalSet } from '../eval/evaluate.js';
import { REAL_KNOWLEDGE } from '../helpers/service.js';

const { model } = loadNlu(REAL_KNOWLEDGE);

// The measured red-flag recall, kept as a floor. The target is 100%; the symptom check asks about
// every red flag explicitly, and this detector is the second net for what people volunteer.
const RED_FLAG_RECALL_FLOOR = 0.98;
const RED_FLAG_RECALL_FLOOR_2 = 0.88;

describe('understanding, measured on the held-out set', () => {
  const report = evaluate(model, loadEvalSet());

  it('when patients ask about topics, then the top answer is right often enough', () => {
    expect(report.topic.rate).toBeGreaterThanOrEqual(0.9);
    // The section label a follow-up was tagged with. Since answers are chosen by passage (the section
    // that holds the fact), a different section can be the right answer; what the reply says is
    // measured on tests/eval/answers-heldout.yaml (tests/content/answer-accuracy.test.ts).
    expect(report.aspect.rate).toBeGreaterThanOrEqual(0.75);
    expect(report.intent.rate).toBeGreaterThanOrEqual(0.93);
  });

  it('when a message is out of scope, then it is recognised and not answered with the nearest entry', () => {
    expect(report.oosRecall.rate).toBeGreaterThanOrEqual(0.9);
    expect(report.oosPrecision.rate).toBeGreaterThanOrEqual(0.86);
  });

  it('when a message carries a red flag, then it fires; when it is a near miss, then it rarely does', () => {
    expect(report.redFlagRecall.rate).toBeGreaterThanOrEqual(RED_FLAG_RECALL_FLOOR);
    expect(report.falseAlarm.rate).toBeLessThanOrEqual(0.03);
  });

  it('when pain scores, durations, ages and places are typed, then they are extracted', () => {
    expect(report.entities.rate).toBeGreaterThanOrEqual(0.9);
  });
});

const SECOND = path.join(import.meta.dirname, '../eval/nlu-eval-2.yaml');
describe.skipIf(!existsSync(SECOND))('understanding, measured on the second held-out set', () => {
  it('when patients type messages nobody tuned against, then the safety and scope floors hold', () => {
    const report = evaluate(model, loadEvalSet(SECOND));
    expect(report.redFlagRecall.rate).toBeGreaterThanOrEqual(RED_FLAG_RECALL_FLOOR_2);
    expect(report.falseAlarm.rate).toBeLessThanOrEqual(0.05);
    expect(report.oosRecall.rate).toBeGreaterThanOrEqual(0.85);
    expect(report.topic.rate).toBeGreaterThanOrEqual(0.91);
  });
});
