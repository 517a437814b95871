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
import {
  trainClassifier,
  type Example,
  type Prediction,
  type TextClassifier,
  type TrainOptions,
} from './classifier.js';
import { extractEntities } from './entities.js';
import { canonical, compileLanguage, pickChoice, type LanguageFile, type LanguageModel } from './language.js';
import type { RedFlagNet } from './red-flag-net.js';
import type { RedFlagDetector } from './red-flags.js';
import { createSpellingCorrector, type SpellingCorrector } from './spelling.js';

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

/** A named topic may reorder candidates only while the classifier's best guess is below this. */
const MENTION_OVERRIDE_BELOW = 0.5;

export const DEFAULT_THRESHOLDS: Thresholds = { accept: 0.3, intent: 0.45, candidate: 0.08 };

export interface NluModel {
  classifier: TextClassifier;
  language: LanguageModel;
  redFlags: RedFlagDetector;
  /** The learned second net for wordings the table misses (src/nlu/red-flag-net.ts); optional. */
  redFlagNet?: RedFlagNet;
  triage: TriageTable;
  /** Topic ids with the phrases that name them (title and keywords), for explicit mentions. */
  mentions: ReadonlyArray<{ id: string; re: RegExp }>;
  /** Words seen in training, to tell gibberish from an off-topic question. */
  vocabulary: ReadonlySet<string>;
  /** Corrects one-letter slips in words the model knows, before classification. */
  spelling: SpellingCorrector;
  /** Which follow-up sections each entry has. */
  sections: ReadonlyMap<string, ReadonlySet<Aspect>>;
  /** Single keyword words that several entries share ("disc"), for "did you mean" on vague messages. */
  sharedWords: ReadonlyMap<string, readonly string[]>;
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
  const frequencies = new Map<string, number>();
  for (const e of examples)
    for (const w of canonical(e.text).split(' ')) if (w) frequencies.set(w, (frequencies.get(w) ?? 0) + 1);
  const vocabulary = new Set(frequencies.keys());
  // Phrases that name an entry: its title and its distinctive keywords. A keyword two entries share,
  // or one that is a follow-up cue ("how long"), names nothing.
  const cues = compileLanguage(input.language);
  const owners = new Map<string, number>();
  for (const entry of input.knowledge.topics.values())
    for (const k of new Set(entry.keywords.map(canonical))) owners.set(k, (owners.get(k) ?? 0) + 1);
  const wordOwners = new Map<string, Set<string>>();
  for (const entry of input.knowledge.topics.values())
    for (const k of entry.keywords)
      for (const w of canonical(k).split(' '))
        if (w.length >= 4 && !cues.aspect(w))
          (wordOwners.get(w) ?? wordOwners.set(w, new Set()).get(w)!).add(entry.id);
  const sharedWords = new Map(
    [...wordOwners].filter(([, ids]) => ids.size >= 2 && ids.size <= 4).map(([w, ids]) => [w, [...ids]]),
  );
  const mentions = [...input.knowledge.topics.values()].map((entry) => {
    const names = [
      ...entry.keywords.map(canonical).filter((k) => owners.get(k) === 1 && !cues.aspect(k)),
      canonical(entry.title.replace(/\(.*?\)/g, '')),
    ].filter((k) => k.length >= 4);
    const re = new RegExp(
      `\\b(?:${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`,
    );
    return { id: entry.id, re };
  });
  return {
    classifier,
    language: cues,
    redFlags: input.redFlags,
    triage: input.triage,
    mentions,
    sharedWords,
    vocabulary,
    spelling: createSpellingCorrector(frequencies),
    sections: new Map(
      [...input.knowledge.topics.values()].map((e) => [e.id, new Set(Object.keys(e.sections) as Aspect[])]),
    ),
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
  const found = model.redFlags.detect(text).signals;
  // The learned net adds a sign the table missed (safety first) and records the rule gap.
  const gaps = model.redFlagNet?.gaps(text, found) ?? [];
  const signals = gaps.length > 0 ? [...found, ...gaps.map((g) => g.signal)] : found;
  const redFlags = newRedFlags(context.signals, signals, model.triage);
  const base = {
    signals,
    redFlags,
    entities,
    topics: [] as TopicMatch[],
    ...(gaps.length > 0 ? { redFlagGaps: gaps } : {}),
  };

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

  // Classify the text with one-letter slips in known words corrected; red flags and entities above
  // read what the person actually typed.
  const corrected = model.spelling.correctText(words.split(' ')).join(' ');
  const aspect = model.language.aspect(corrected);
  const mentioned = model.mentions.filter((m) => m.re.test(corrected)).map((m) => m.id);
  const ranked = classify(model, corrected);
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

  // A topic named outright wins when the classifier is unsure between neighbours (never over a
  // confident classifier: "do I need an MRI scan" names no condition even if MRI is a keyword).
  if (mentioned.length === 1 && best.label !== OOS_LABEL && best.p < MENTION_OVERRIDE_BELOW) {
    const boosted = boostMentioned(topics, mentioned);
    if (boosted[0] && boosted[0].confidence >= t.accept) {
      const top = boosted[0].id;
      return {
        ...base,
        intent: 'question',
        topics: boosted,
        aspect: aspectOf(model, top, aspect),
        confidence: boosted[0].confidence,
      };
    }
  }
  // Several of our topics named ("disc problems?"): not out of scope, but not sure which: the
  // machine offers them as "did you mean".
  if (mentioned.length > 1 && !(best.label.startsWith(TOPIC) && best.p >= t.accept)) {
    const candidates = boostMentioned(topics, mentioned).map((c) => ({
      ...c,
      confidence: Math.min(c.confidence, 0.4),
    }));
    return { ...base, intent: 'question', topics: candidates, confidence: candidates[0]?.confidence ?? 0.3 };
  }

  if (best.label.startsWith(TOPIC) && best.p >= t.accept) {
    const top = best.label.slice(TOPIC.length);
    return {
      ...base,
      intent: 'question',
      topics,
      aspect: aspectOf(model, top, aspect),
      confidence: round(best.p),
    };
  }

  // A short, vague message with a word several entries share ("disc problems?"): offer them.
  const tokens = corrected.split(' ');
  if (tokens.length <= 4 && !(best.label.startsWith(INTENT) && best.p >= t.intent)) {
    const shared = tokens.map((w) => model.sharedWords.get(w)).find((ids) => ids !== undefined);
    if (shared) {
      const candidates = shared.map((id) => ({ id, confidence: 0.4 }));
      return { ...base, intent: 'question', topics: candidates, confidence: 0.4 };
    }
  }

  if (best.label === OOS_LABEL && best.p >= t.accept) {
    return { ...base, intent: 'out_of_scope', topics, confidence: round(best.p) };
  }

  // Nothing is sure enough: gibberish is "not understood"; anything else is out of scope, with the
  // weak candidates kept so the machine can offer "did you mean".
  const known = corrected.split(' ').filter((w) => model.vocabulary.has(w)).length;
  const intent: Intent = known / corrected.split(' ').length < 0.34 ? 'unknown' : 'out_of_scope';
  return { ...base, intent, topics, confidence: round(1 - best.p) };
}

/**
 * Classify the whole message and, when it has several clauses ("no bladder problems, just wondering
 * how long sciatica lasts"; two questions at once), each clause too; keep the most confident reading.
 */
function classify(model: NluModel, text: string): Prediction[] {
  const whole = model.classifier.predict(text);
  const clauses = text
    .split(/\s*(?:[,.;:!?]+|\b(?:but|just|also|and also|anyway)\b)\s*/)
    .map((c) => c.trim())
    .filter((c) => c.split(' ').length >= 3);
  if (clauses.length < 2) return whole;
  let best = whole;
  for (const clause of clauses) {
    const ranked = model.classifier.predict(clause);
    if ((ranked[0]?.p ?? 0) > (best[0]?.p ?? 0) + 0.15 && ranked[0]?.label !== OOS_LABEL) best = ranked;
  }
  return best;
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

/**
 * The part of a named topic a question asks for, when the topic has that section: "how is
 * piriformis treated" -> piriformis' Treatment. When it has none, the question is about the topic
 * itself ("do I need an MRI scan" is the scans entry, not the general diagnosis entry).
 */
function aspectOf(model: NluModel, topic: string, aspect: Aspect | undefined): Aspect | undefined {
  if (!aspect || aspect === 'more') return undefined;
  return model.sections.get(topic)?.has(aspect) ? aspect : undefined;
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

function round(p: number): number {
  return Math.round(p * 1000) / 1000;
}
