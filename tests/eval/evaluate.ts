/**
 * Scores the understanding layer on the held-out set tests/eval/nlu-eval.yaml. Shared by
 * `npm run eval` (prints a report) and tests/content/nlu-accuracy.test.ts (asserts floors in CI).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { redFlagHits } from '../../dialogs/triage-rules.js';
import type { Aspect, NluContext } from '../../dialogs/types.js';
import { understand, type NluModel } from '../../src/nlu/understand.js';

/**
 * The red-flag rules a message fires on its own (the machine applies the triage table the same
 * way): for the writer, and for someone else the message reports about (escalated for them).
 */
const hitsOf = (
  u: { signals: string[]; otherSignals?: string[] },
  m: { triage: Parameters<typeof redFlagHits>[2] },
) => [...redFlagHits([], u.signals, m.triage), ...redFlagHits([], u.otherSignals ?? [], m.triage)];

interface Expect {
  topics?: string[];
  aspect?: Aspect;
  intent?: string;
  redFlag?: boolean;
  signals?: string[];
  entities?: Record<string, unknown>;
}

export interface EvalItem {
  text: string;
  context?: { topic?: string };
  expect: Expect;
}

export function loadEvalSet(file = path.join(import.meta.dirname, 'nlu-eval.yaml')): EvalItem[] {
  const data = parse(readFileSync(file, 'utf8')) as { items: EvalItem[] };
  return data.items;
}

export interface Ratio {
  ok: number;
  total: number;
  rate: number;
}

export interface EvalReport {
  topic: Ratio;
  aspect: Ratio;
  intent: Ratio;
  oosRecall: Ratio;
  oosPrecision: Ratio;
  redFlagRecall: Ratio;
  signalRecall: Ratio;
  falseAlarm: Ratio;
  entities: Ratio;
  confusions: Array<{ expected: string; got: string; count: number }>;
  failures: Array<{ kind: string; text: string; expected: string; got: string }>;
  latency: { p50: number; p99: number; max: number };
}

const ratio = (ok: number, total: number): Ratio => ({ ok, total, rate: total ? ok / total : 1 });
const OOS = new Set(['out_of_scope', 'unknown']);
// A fixed "now" so relative durations ("since monday") are reproducible.
const NOW = new Date('2026-11-18T12:00:00Z');

export function evaluate(model: NluModel, items: readonly EvalItem[]): EvalReport {
  let topicOk = 0,
    topicN = 0,
    aspectOk = 0,
    aspectN = 0,
    intentOk = 0,
    intentN = 0,
    oosOk = 0,
    oosN = 0,
    oosPredicted = 0,
    oosPredictedRight = 0,
    rfOk = 0,
    rfN = 0,
    sigOk = 0,
    sigN = 0,
    faBad = 0,
    faN = 0,
    entOk = 0,
    entN = 0;
  const confusions = new Map<string, number>();
  const failures: EvalReport['failures'] = [];
  const times: number[] = [];

  for (const item of items) {
    const context: NluContext = { topic: item.context?.topic };
    const t0 = performance.now();
    const u = understand(item.text, context, model, { now: NOW });
    times.push(performance.now() - t0);
    // The red flags the dialog machine would raise on this message alone (it applies the table).
    const redFlags = redFlagHits([], u.signals, model.triage);
    const e = item.expect;
    const predictedOos = OOS.has(u.intent);
    const expectsOos = e.intent !== undefined && OOS.has(e.intent);
    const isClassificationItem = e.topics !== undefined || e.intent !== undefined;
    if (isClassificationItem) {
      if (predictedOos) {
        oosPredicted++;
        if (expectsOos) oosPredictedRight++;
      }
    }
    if (e.topics) {
      topicN++;
      // "Tell me more" answers the topic it carries, as a question does.
      const answers = u.intent === 'question' || (u.intent === 'tell_me_more' && u.topics.length > 0);
      const got = answers ? (u.topics[0]?.id ?? '-') : u.intent;
      if (e.topics.includes(got)) topicOk++;
      else {
        const key = `${e.topics[0]} -> ${got}`;
        confusions.set(key, (confusions.get(key) ?? 0) + 1);
        failures.push({ kind: 'topic', text: item.text, expected: e.topics.join('|'), got });
      }
      if (e.aspect) {
        aspectN++;
        if (u.aspect === e.aspect) aspectOk++;
        else failures.push({ kind: 'aspect', text: item.text, expected: e.aspect, got: u.aspect ?? '-' });
      }
    }
    if (e.intent !== undefined) {
      if (expectsOos) {
        oosN++;
        if (predictedOos) oosOk++;
        else
          failures.push({
            kind: 'oos',
            text: item.text,
            expected: e.intent,
            got: u.intent === 'question' ? `topic ${u.topics[0]?.id}` : u.intent,
          });
      } else {
        intentN++;
        if (u.intent === e.intent) intentOk++;
        else {
          const key = `${e.intent} -> ${u.intent === 'question' ? `topic ${u.topics[0]?.id}` : u.intent}`;
          confusions.set(key, (confusions.get(key) ?? 0) + 1);
          failures.push({ kind: 'intent', text: item.text, expected: e.intent, got: u.intent });
        }
      }
    }
    if (e.redFlag === true) {
      rfN++;
      if (redFlags.length > 0) rfOk++;
      else
        failures.push({
          kind: 'red flag missed',
          text: item.text,
          expected: (e.signals ?? []).join(','),
          got: u.signals.join(',') || '-',
        });
      for (const s of e.signals ?? []) {
        sigN++;
        if (u.signals.includes(s)) sigOk++;
        else
          failures.push({
            kind: 'signal missed',
            text: item.text,
            expected: s,
            got: u.signals.join(',') || '-',
          });
      }
    } else if (e.redFlag === false) {
      faN++;
      if (redFlags.length > 0) {
        faBad++;
        failures.push({
          kind: 'false alarm',
          text: item.text,
          expected: 'none',
          got: redFlags.map((r) => r.ruleId).join(','),
        });
      }
    }
    if (e.entities) {
      for (const [field, want] of Object.entries(e.entities)) {
        entN++;
        const ent = u.entities as Record<string, unknown>;
        let ok: boolean;
        if (field === 'painScoreAtLeast')
          ok = typeof ent.painScore === 'number' && ent.painScore >= (want as number);
        else if (field === 'hasDuration') ok = typeof ent.durationDays === 'number';
        else if (field === 'locations')
          ok = (want as string[]).every((l) => ((ent.locations as string[]) ?? []).includes(l));
        else ok = ent[field] === want;
        if (ok) entOk++;
        else
          failures.push({
            kind: `entity ${field}`,
            text: item.text,
            expected: JSON.stringify(want),
            got: JSON.stringify(
              ent[
                field === 'painScoreAtLeast' ? 'painScore' : field === 'hasDuration' ? 'durationDays' : field
              ],
            ),
          });
      }
    }
  }

  // Latency over more runs, for a stable p99.
  for (let round = 0; round < 4; round++) {
    for (const item of items) {
      const t0 = performance.now();
      understand(item.text, { topic: item.context?.topic }, model, { now: NOW });
      times.push(performance.now() - t0);
    }
  }
  times.sort((a, b) => a - b);
  const pct = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;

  return {
    topic: ratio(topicOk, topicN),
    aspect: ratio(aspectOk, aspectN),
    intent: ratio(intentOk, intentN),
    oosRecall: ratio(oosOk, oosN),
    oosPrecision: ratio(oosPredictedRight, oosPredicted),
    redFlagRecall: ratio(rfOk, rfN),
    signalRecall: ratio(sigOk, sigN),
    falseAlarm: ratio(faBad, faN),
    entities: ratio(entOk, entN),
    confusions: [...confusions]
      .map(([k, count]) => {
        const [expected = '', got = ''] = k.split(' -> ');
        return { expected, got, count };
      })
      .sort((a, b) => b.count - a.count),
    failures,
    latency: { p50: pct(0.5), p99: pct(0.99), max: times[times.length - 1] ?? 0 },
  };
}

// ---------------------------------------------------------------------------------------------
// Red flags on tests/eval/redflag-heldout.yaml: written from shared/clinical.md by someone who never
// saw the rule table or the net's wordings. Nothing is trained or tuned on it.

export interface RedFlagItem {
  text: string;
  level: 'emergency' | 'urgent' | 'none';
  sign: string;
  kind: string;
}

export function loadRedFlagSet(file: string): RedFlagItem[] {
  return (parse(readFileSync(file, 'utf8')) as { items: RedFlagItem[] }).items;
}

export interface RedFlagReport {
  /** Must-escalate items that escalated at all. */
  recall: Ratio;
  /** Emergency items that reached the emergency level. */
  emergencyRecall: Ratio;
  /** Items that must not escalate but did (any level). */
  falseAlarm: Ratio;
  /** Items that must not escalate but reached the emergency level. */
  emergencyFalseAlarm: Ratio;
  failures: Array<{ kind: string; text: string; expected: string; got: string }>;
}

export function evaluateRedFlags(model: NluModel, items: readonly RedFlagItem[]): RedFlagReport {
  let pos = 0,
    hit = 0,
    em = 0,
    emHit = 0,
    neg = 0,
    fa = 0,
    emFa = 0;
  const failures: RedFlagReport['failures'] = [];
  for (const item of items) {
    const u = understand(item.text, {}, model, { now: NOW });
    const levels = new Set(hitsOf(u, model).map((r) => r.level));
    const got =
      hitsOf(u, model)
        .map((r) => `${r.ruleId}:${r.level}`)
        .join(',') || '-';
    if (item.level === 'none') {
      neg++;
      if (levels.size > 0) {
        fa++;
        failures.push({ kind: `false alarm (${item.kind})`, text: item.text, expected: 'none', got });
      }
      if (levels.has('E')) emFa++;
      continue;
    }
    pos++;
    if (levels.size > 0) hit++;
    if (item.level === 'emergency') {
      em++;
      if (levels.has('E')) emHit++;
    }
    const ok = item.level === 'emergency' ? levels.has('E') : levels.size > 0;
    if (!ok)
      failures.push({
        kind: `missed (${item.kind})`,
        text: item.text,
        expected: `${item.level} ${item.sign}`,
        got,
      });
  }
  return {
    recall: ratio(hit, pos),
    emergencyRecall: ratio(emHit, em),
    falseAlarm: ratio(fa, neg),
    emergencyFalseAlarm: ratio(emFa, neg),
    failures,
  };
}
