/**
 * understand(): a pure, deterministic function from a message and the conversation's context to
 * what the dialog machine acts on. It combines
 *   - the red-flag detector (every message, every state; negation handled) and the triage table,
 *   - entity extraction (pain score, duration, age, side, location, option number),
 *   - short answers and follow-up aspects from knowledge/language.yaml,
 *   - one classifier over knowledge entries, conversational intents and out-of-scope examples.
 */
import type {
  Aspect,
  Entities,
  Intent,
  NluContext,
  RedFlagHit,
  TopicMatch,
  Understanding,
} from '../../dialogs/types.js';
import { assess, isRedFlagLevel, type TriageTable } from '../../dialogs/triage-rules.js';
import type { Knowledge } from '../knowledge/load.js';
import { trainClassifier, type Example, type TextClassifier, type TrainOptions } from './classifier.js';
import { extractEntities } from './entities.js';
import { canonical, compileLanguage, pickChoice, type LanguageFile, type LanguageModel } from './language.js';
import type { RedFlagDetector } from './red-flags.js';

export const OOS_LABEL = 'oos';
const TOPIC = 'topic:';
const INTENT = 'intent:';

export interface Thresholds {
  /** Below this, the best label is not trusted: out of scope (or not understood). */
  accept: number;
  /** A conversational intent needs at least this. */
  intent: number;
  /** Topics listed as candidates need at least this. */
  candidate: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { accept: 0.3, intent: 0.45, candidate: 0.08 };

export interface NluModel {
  classifier: TextClassifier;
  language: LanguageModel;
  redFlags: RedFlagDetector;
  triage: TriageTable;
  /** Topic ids with the phrases that name them (title and keywords), for explicit mentions. */
  mentions: ReadonlyArray<{ id: string; re: RegExp }>;
  /** Words seen in training, to tell gibberish from an off-topic question. */
  vocabulary: ReadonlySet<string>;
  thresholds: Thresholds;
}

export interface BuildInput {
  knowledge: Knowledge;
  language: LanguageFile;
  redFlags: RedFlagDetector;
  triage: TriageTable;
}

/** Training examples from the knowledge base: entries, intents and out-of-scope messages. */
export function trainingExamples(knowledge: Knowledge): Example[] {
  const examples: Example[] = [];
  for (const entry of knowledge.topics.values()) {
    const label = `${TOPIC}${entry.id}`;
    for (const text of [entry.title, ...entry.examples, ...entry.keywords]) examples.push({ text, label });
    // The entry's own sentences teach its vocabulary too, so new content also improves understanding.
    for (const body of [entry.answer, ...Object.values(entry.sections)]) {
      for (const sentence of (body ?? '').split(/(?<=[.!?])\s+/)) {
        if (sentence.length > 20 && !sentence.includes('{')) examples.push({ text: sentence, label });
      }
    }
  }
  for (const [intent, list] of Object.entries(knowledge.intents)) {
    for (const text of list) examples.push({ text, label: `${INTENT}${intent}` });
  }
  for (const text of knowledge.outOfScope) examples.push({ text, label: OOS_LABEL });
  return examples;
}

export function buildNluModel(
  input: BuildInput,
  options: { train?: TrainOptions; thresholds?: Thresholds; classifier?: TextClassifier } = {},
): NluModel {
  const examples = trainingExamples(input.knowledge);
  const classifier = options.classifier ?? trainClassifier(examples, options.train);
  const vocabulary = new Set<string>();
  for (const e of examples) for (const w of canonical(e.text).split(' ')) if (w) vocabulary.add(w);
  const mentions = [...input.knowledge.topics.values()].map((entry) => {
    const names = [...entry.keywords, entry.title.replace(/\(.*?\)/g, '')]
      .map((k) => canonical(k))
      .filter((k) => k.length >= 4);
    const re = new RegExp(
      `\\b(?:${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`,
    );
    return { id: entry.id, re };
  });
  return {
    classifier,
    language: compileLanguage(input.language),
    redFlags: input.redFlags,
    triage: input.triage,
    mentions,
    vocabulary,
    thresholds: options.thresholds ?? DEFAULT_THRESHOLDS,
  };
}

export interface UnderstandOptions {
  /** "Now", for relative durations ("since Monday"). */
  now?: Date;
}

export function understand(
  text: string,
  context: NluContext,
  model: NluModel,
  options: UnderstandOptions = {},
): Understanding {
  const entities: Entities = extractEntities(text, { now: options.now, expecting: context.expecting });
  // Clinical signals come from what the person says. Age and duration become signals in the
  // symptom check, where the bot asked for them (a "back op 10 years ago" is not a 10-year pain).
  const signals = model.redFlags.detect(text).signals;
  const redFlags = newRedFlags(context.signals, signals, model.triage);
  const base = { signals, redFlags, entities, topics: [] as TopicMatch[] };

  const words = canonical(text);
  if (!words) {
    const short = model.language.shortAnswer(text); // a lone 👍
    return short ? { ...base, intent: short, confidence: 0.9 } : { ...base, intent: 'empty', confidence: 1 };
  }

  // A choice the bot offered, picked by number or label.
  const choice = pickChoice(text, context.choices);
  if (choice) return { ...base, ...fromPayload(choice), choice, confidence: 1 };

  // A short answer to a yes/no question.
  const short = model.language.shortAnswer(text);
  if (short) return { ...base, intent: short, confidence: 0.95 };

  // In the symptom check, a statement is an answer, not a new question: "I've never had cancer"
  // is a no, "sitting for a long time" picks the "sitting" option.
  // Waiting for an answer: a yes/no, a number, a duration, or one of the symptom check's options
  // (not merely after related-topic buttons, when any new question is welcome).
  const answering =
    context.expecting === 'yes_no' ||
    context.expecting === 'pain_score' ||
    context.expecting === 'duration' ||
    context.expecting === 'age' ||
    (context.expecting === 'choice' &&
      (context.choices ?? []).some((c) => /^(option|answer):/.test(c.payload)));
  const asking = model.language.isQuestion(text);
  if (answering && !asking) {
    const offered = context.choices?.map((c) => c.payload) ?? [];
    const option = model.language.optionBySynonym(text, offered);
    if (option) return { ...base, ...fromPayload(option), choice: option, confidence: 0.9 };
    if (context.expecting === 'yes_no') {
      const polarity = model.language.polarity(text);
      if (polarity) return { ...base, intent: polarity, confidence: 0.85 };
    }
  }

  const aspect = model.language.aspect(text);
  const mentioned = model.mentions.filter((m) => m.re.test(words)).map((m) => m.id);
  const ranked = model.classifier.predict(text);
  const best = ranked[0] ?? { label: OOS_LABEL, p: 1 };
  const t = model.thresholds;

  const topics: TopicMatch[] = ranked
    .filter((p) => p.label.startsWith(TOPIC) && p.p >= t.candidate)
    .slice(0, 3)
    .map((p) => ({ id: p.label.slice(TOPIC.length), confidence: round(p.p) }));

  // A follow-up on the current topic: an aspect, no other topic named, and a short or pointing question.
  if (context.topic && aspect && aspect !== 'more' && !mentioned.some((id) => id !== context.topic)) {
    const short = words.split(' ').length <= 9 || model.language.pointsBack(text);
    if (
      short &&
      !(best.label.startsWith(INTENT) && best.p >= t.intent && best.label !== `${INTENT}tell_me_more`)
    ) {
      return {
        ...base,
        intent: 'question',
        aspect,
        topics: [{ id: context.topic, confidence: 0.9 }],
        confidence: 0.9,
      };
    }
  }

  if (best.label.startsWith(INTENT) && best.p >= t.intent) {
    const intent = best.label.slice(INTENT.length) as Intent;
    if (intent === 'tell_me_more') {
      // "Tell me more" is about the topic being discussed, unless another one is named.
      const about = mentioned[0] ?? context.topic;
      return {
        ...base,
        intent,
        aspect: 'more',
        topics: about ? [{ id: about, confidence: 0.9 }] : [],
        confidence: round(best.p),
      };
    }
    return { ...base, intent, confidence: round(best.p), topics };
  }

  // While the bot waits for an answer, a statement it could not read as one is "not understood"
  // (asked again in other words), never answered with the nearest knowledge entry.
  if (answering && !asking && !(best.label.startsWith(INTENT) && best.p >= t.intent)) {
    return { ...base, intent: 'unknown', topics, confidence: round(best.p) };
  }

  // A topic named outright wins when the classifier is unsure between neighbours.
  if (mentioned.length > 0 && best.label !== OOS_LABEL) {
    const boosted = boostMentioned(topics, mentioned);
    if (boosted[0] && boosted[0].confidence >= t.accept) {
      return {
        ...base,
        intent: 'question',
        topics: boosted,
        aspect: aspectFor(aspect),
        confidence: boosted[0].confidence,
      };
    }
  }

  if (best.label.startsWith(TOPIC) && best.p >= t.accept) {
    return { ...base, intent: 'question', topics, aspect: aspectFor(aspect), confidence: round(best.p) };
  }

  if (best.label === OOS_LABEL && best.p >= t.accept) {
    return { ...base, intent: 'out_of_scope', topics, confidence: round(best.p) };
  }

  // Nothing is sure enough: gibberish is "not understood"; anything else is out of scope, with the
  // weak candidates kept so the machine can offer "did you mean".
  const known = words.split(' ').filter((w) => model.vocabulary.has(w)).length;
  const intent: Intent = known / words.split(' ').length < 0.34 ? 'unknown' : 'out_of_scope';
  return { ...base, intent, topics, confidence: round(1 - best.p) };
}

/** Red-flag rules that fire now and did not already fire on what the conversation had said. */
export function newRedFlags(
  previous: readonly string[],
  current: readonly string[],
  table: TriageTable,
): RedFlagHit[] {
  if (current.length === 0) return [];
  const before = assess(previous, table);
  const after = assess([...previous, ...current], table);
  if (!isRedFlagLevel(after.level)) return [];
  const beforeIds = new Set(before.level === after.level ? before.ruleIds : []);
  const fresh = after.ruleIds.filter((id) => !beforeIds.has(id));
  return fresh.map((ruleId) => ({ ruleId, level: after.level }));
}

function fromPayload(payload: string): Pick<Understanding, 'intent' | 'topics'> {
  const [kind, value = ''] = splitOnce(payload, ':');
  switch (kind) {
    case 'intent':
      return { intent: value as Intent, topics: [] };
    case 'answer':
      return { intent: value === 'yes' ? 'affirm' : value === 'no' ? 'deny' : 'unsure', topics: [] };
    case 'topic':
      return { intent: 'question', topics: [{ id: value, confidence: 1 }] };
    default:
      // option:<code> and open:<x> are read by the machine from `choice`.
      return { intent: 'unknown', topics: [] };
  }
}

function boostMentioned(topics: TopicMatch[], mentioned: string[]): TopicMatch[] {
  const byId = new Map(topics.map((t) => [t.id, t.confidence]));
  const out = mentioned.map((id) => ({ id, confidence: round(Math.max(0.6, byId.get(id) ?? 0)) }));
  for (const t of topics) if (!mentioned.includes(t.id)) out.push(t);
  return out.sort((a, b) => b.confidence - a.confidence).slice(0, 3);
}

function aspectFor(aspect: Aspect | undefined): Aspect | undefined {
  return aspect === 'more' ? undefined : aspect;
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

function round(p: number): number {
  return Math.round(p * 1000) / 1000;
}
