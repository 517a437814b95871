/**
 * understand(): a pure, deterministic function from a message and the conversation's context to
 * what the dialog machine acts on. It combines
 *   - the red-flag detector (every message, every state; negation handled) and the triage table,
 *   - entity extraction (pain score, duration, age, side, location, option number),
 *   - short answers and follow-up aspects from knowledge/language.yaml,
 *   - one classifier over knowledge entries, conversational intents and out-of-scope examples.
 */
import {
  DEFAULT_ASPECT_FALLBACK,
  type Aspect,
  type Entities,
  type Intent,
  type NluContext,
  type TopicMatch,
  type Understanding,
} from '../../dialogs/types.js';
import type { TriageTable } from '../../dialogs/triage-rules.js';
import type { Knowledge } from '../knowledge/load.js';
import {
  trainClassifier,
  type Example,
  type Prediction,
  type TextClassifier,
  type TrainOptions,
} from './classifier.js';
import { compileEntityWords, extractEntities, type EntityWords } from './entities.js';
import { compileLanguage, pickChoice, type LanguageFile, type LanguageModel } from './language.js';
import type { RedFlagNet } from './red-flag-net.js';
import type { RedFlagDetector } from './red-flags.js';
import { buildRetriever, type Retriever } from './retrieve.js';
import { normalize as canonical, stem } from '../text/fold.js';
import { englishNouns } from '../text/typos.js';
import { createSpellingCorrector, type SpellingCorrector } from '../text/typos.js';
import { compileSymptomReader, type SymptomReader } from './symptom-report.js';

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

/** Intents a follow-up that points back at the topic is read over ("so what should I do instead?"). */
const FOLLOW_UP_OVER: ReadonlySet<string> = new Set(['start_triage', 'help']);
/** Below this, a symptom-check request gives way to a follow-up question ("should I check with someone first?"). */
const FOLLOW_UP_INTENT_SURE = 0.6;

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
  /** Finds the passage (overview or section) that holds the fact asked; absent without retrieval words. */
  retriever?: Retriever;
  /**
   * General and front-desk entries (types cause, symptom, faq, front-desk): naming one does not change
   * the topic of a pointing follow-up ("what else can bring IT on?" is not about what to bring).
   */
  general: ReadonlySet<string>;
  /** Entries that are treatments (a follow-up's "work" means "help" after one of them). */
  treatments: ReadonlySet<string>;
  /** Words before what the patient wants other than ("apart from surgery"), with what follows them. */
  excluding?: RegExp;
  /** Stems of every word the knowledge and the language file use: a noun outside them names something we have no details on. */
  knownStems: ReadonlySet<string>;
  /** Words that are only ever nouns (natural's lexicon), read once when the model is built. */
  nouns: ReadonlySet<string>;
  /** The body parts and symptom words this bot covers (language.yaml symptomReport body + symptoms). */
  bodyTalk?: RegExp;
  /** Rewrites words that mean something else after a treatment (knowledge/language.yaml). */
  afterTreatment(text: string): string;
  /** Stems of this domain's own words (in entry examples, never in out-of-scope ones). */
  domainStems: ReadonlySet<string>;
  /** Qualifiers the knowledge cannot answer for the person (pregnancy, children, ...). */
  qualifiers: ReadonlyArray<{
    name: string;
    re: RegExp;
    about?: ReadonlySet<string>;
    unless?: RegExp;
    thenAnswer?: boolean;
  }>;
  /** Symptom reports, someone else's signs, warning signs talked about (absent: language.yaml has no list). */
  symptoms?: SymptomReader;
  /** The entity reader's words (language.yaml `words.negators`, `bodyLocations`). */
  entityWords: EntityWords;
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
  const retrievalWords = input.language.retrieval
    ? [
        ...input.language.retrieval.synonyms.flat(),
        ...Object.values(input.language.retrieval.questionTypes).flatMap((t) => [
          ...t.asks,
          ...(t.answers ?? []),
        ]),
        ...(input.language.retrieval.excluding ?? []),
        ...(input.language.retrieval.otherThanThis ?? []),
      ]
    : [];
  const knownStems = new Set(
    [...vocabulary, ...retrievalWords.flatMap((w) => canonical(w).split(' '))].filter(Boolean).map(stem),
  );
  // Words of this domain: those of the entries' titles and keywords that never occur in the
  // examples of what is out of scope ("buttock", "sciatica", "piriformis"; not "pain" or "back").
  const inOos = new Set<string>();
  for (const e of examples)
    if (e.label === OOS_LABEL) for (const w of canonical(e.text).split(' ')) if (w) inOos.add(stem(w));
  const retrievalStop = new Set((input.language.retrieval?.stopwords ?? []).map((w) => stem(canonical(w))));
  const domainStems = new Set(
    [...input.knowledge.topics.values()]
      .filter((entry) => entry.type !== 'front-desk')
      .flatMap((entry) => [entry.title, ...entry.keywords])
      .flatMap((k) => canonical(k).split(' '))
      .filter((w) => w.length > 2)
      .map(stem)
      .filter((st) => !inOos.has(st) && !retrievalStop.has(st)),
  );
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
  const stop = new Set((input.language.retrieval?.stopwords ?? []).map(canonical));
  const sharedWords = new Map(
    [...wordOwners]
      .filter(([w, ids]) => ids.size >= 2 && ids.size <= 4 && !stop.has(w))
      .map(([w, ids]) => [w, [...ids]]),
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
    ...(input.language.retrieval
      ? { retriever: buildRetriever(input.knowledge, input.language.retrieval) }
      : {}),
    domainStems,
    knownStems,
    nouns: englishNouns(),
    general: new Set(
      [...input.knowledge.topics.values()]
        .filter(
          (e) => e.type === 'cause' || e.type === 'symptom' || e.type === 'faq' || e.type === 'front-desk',
        )
        .map((e) => e.id),
    ),
    treatments: new Set(
      [...input.knowledge.topics.values()].filter((e) => e.type === 'treatment').map((e) => e.id),
    ),
    afterTreatment: (text) =>
      text
        .split(' ')
        .map((w) => input.language.retrieval?.afterTreatment?.[w] ?? w)
        .join(' '),
    ...(input.language.retrieval?.excluding
      ? {
          excluding: new RegExp(
            `${anyWord(input.language.retrieval.excluding).source} ((?:\\w+ ?){1,5})`,
            'g',
          ),
        }
      : {}),
    qualifiers: Object.entries(input.language.qualifiers ?? {}).map(([name, q]) => ({
      name,
      re: anyWord(q.words),
      ...(q.unless ? { unless: anyWord(q.unless) } : {}),
      ...(q.about ? { about: new Set(q.about) } : {}),
      ...(q.thenAnswer ? { thenAnswer: true } : {}),
    })),
    ...(input.language.symptomReport
      ? {
          symptoms: compileSymptomReader(input.language.symptomReport, input.redFlags, input.language.words),
          bodyTalk: anyWord([...input.language.symptomReport.body, ...input.language.symptomReport.symptoms]),
        }
      : {}),
    entityWords: compileEntityWords(input.language),
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
  const entities: Entities = extractEntities(text, {
    now: options.now,
    expecting: context.expecting,
    words: model.entityWords,
  });
  // Clinical signals come from what the person says. Age and duration become signals in the
  // symptom check, where the bot asked for them (a "back op 10 years ago" is not a 10-year pain).
  // Signs only: the dialog machine applies the triage table to them (once, with the conversation's).
  const detection = model.redFlags.detect(text);
  // A sign told about someone else ("my husband can't pee") is theirs, never the writer's.
  const found = [...new Set(detection.matches.filter((m) => !m.someoneElse).map((m) => m.signal))];
  const reported = [...new Set(detection.matches.filter((m) => m.someoneElse).map((m) => m.signal))];
  const heard = model.symptoms?.read(text, found, entities);
  // The learned net adds a sign the table missed (safety first) and records the rule gap; a sign
  // the table found for someone else is no gap, and in a message about someone else it is theirs.
  const gaps = model.redFlagNet?.gaps(text, detection.signals) ?? [];
  const theirs = heard?.report?.subject === 'other';
  const signals = gaps.length > 0 && !theirs ? [...found, ...gaps.map((g) => g.signal)] : found;
  const otherSignals = [
    ...new Set([...(heard?.otherSignals ?? []), ...reported, ...(theirs ? gaps.map((g) => g.signal) : [])]),
  ].filter((x) => !signals.includes(x));
  const base = {
    signals,
    entities,
    topics: [] as TopicMatch[],
    ...heard,
    ...(heard || otherSignals.length > 0 ? { otherSignals } : {}),
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
  const typed = model.spelling.correctText(words.split(' ')).join(' ');
  // After a treatment, "does it work?" asks whether it helps, not about a job.
  const corrected =
    context.topic && model.treatments.has(context.topic) ? model.afterTreatment(typed) : typed;
  // "I don't want pills, what else?": the entry named after such words is not what is asked for,
  // and other treatments are.
  const unwanted = excludedEntries(model, corrected);
  const aspect =
    model.language.aspect(corrected) ??
    ([...unwanted].some((id) => model.treatments.has(id)) ? ('treatment' as const) : undefined);
  const mentioned = model.mentions
    .filter((m) => m.re.test(corrected) && !unwanted.has(m.id))
    .map((m) => m.id);
  const ranked = without(classify(model, corrected), unwanted);
  const best = ranked[0] ?? { label: OOS_LABEL, p: 1 };
  const t = model.thresholds;
  const intentConfident = best.label.startsWith(INTENT) && best.p >= t.intent;

  const topics: TopicMatch[] = ranked
    .filter((p) => p.label.startsWith(TOPIC) && p.p >= t.candidate)
    .slice(0, 3)
    .map((p) => ({ id: p.label.slice(TOPIC.length), confidence: round(p.p) }));

  // A follow-up on the current topic: no other topic named, a short or pointing question that asks
  // something (an aspect, a question type such as "is it common?", "what about X?").
  // A follow-up that points back ("why would THAT give me bum pain?") stays on its topic even when
  // it names a general entry (causes, symptoms); naming another condition or treatment starts anew.
  const pointing = model.language.pointsBack(text);
  // A general or front-desk entry named by a common word ("where", "bring") takes over only when
  // the classifier reads it too.
  const others = mentioned.filter(
    (id) => id !== context.topic && !(model.general.has(id) && (pointing || best.label !== `${TOPIC}${id}`)),
  );
  if (context.topic && aspect !== 'more' && others.length === 0) {
    const short = words.split(' ').length <= 9 || model.language.pointsBack(text);
    const points = model.language.pointsBack(text);
    const asks =
      aspect !== undefined ||
      (model.retriever?.questionTypes(corrected).length ?? 0) > 0 ||
      points ||
      model.language.isQuestion(text) ||
      /^(?:and |so |but )?(?:what|how) about\b/.test(corrected);
    // "So what should I do instead?" points back: it asks about the topic, it starts no symptom check.
    // A question is not a yes or no ("why not?"), nor "what can you do?" unless it addresses the bot.
    const bestIntent = best.label.slice(INTENT.length);
    const readAsFollowUp =
      asking &&
      (['affirm', 'deny', 'unsure'].includes(bestIntent) ||
        (bestIntent === 'help' && !/\byou\b/.test(corrected) && best.p < FOLLOW_UP_INTENT_SURE));
    const intentWins =
      intentConfident &&
      !readAsFollowUp &&
      best.label !== `${INTENT}tell_me_more` &&
      !(
        (points ||
          aspect !== undefined ||
          (asking && best.label === `${INTENT}start_triage` && best.p < FOLLOW_UP_INTENT_SURE)) &&
        FOLLOW_UP_OVER.has(best.label.slice(INTENT.length)) &&
        signals.length === 0
      );
    if (short && asks && !intentWins) {
      // A bare "why (not)?" after a treatment asks the reason for the advice just given, which its
      // short answer holds; after a condition it asks for the causes (below).
      if (
        aspect === 'causes' &&
        model.treatments.has(context.topic) &&
        (model.retriever?.contentTerms(corrected).length ?? 0) === 0
      )
        return followUp(base, context.topic);
      // "What else can cause it?": the general entry for what is asked, not this topic again.
      const beyond =
        aspect && model.language.otherThanThis(corrected) ? DEFAULT_ASPECT_FALLBACK[aspect] : undefined;
      if (beyond && beyond !== context.topic && model.sections.has(beyond))
        return withExtras(
          model,
          corrected,
          followUp(base, beyond, model.sections.get(beyond)?.has(aspect!) ? aspect : undefined),
        );
      // An aspect the topic has a section for ("how is it treated?"): that section.
      if (aspect && model.sections.get(context.topic)?.has(aspect))
        return withExtras(model, corrected, followUp(base, context.topic, aspect));
      // The topic has no section for the aspect asked: its general entry may answer ("how long does it last?").
      const general =
        aspect && !model.sections.get(context.topic)?.has(aspect)
          ? DEFAULT_ASPECT_FALLBACK[aspect]
          : undefined;
      const chosen = choosePassages(model, corrected, ranked, mentioned, aspect, context.topic, general)[0];
      if (chosen && aspect && chosen.entry === general && !chosen.section) {
        // The dialog answers the aspect from the general entry and keeps the topic for the next follow-up.
        return followUp(base, context.topic, aspect);
      }
      if (chosen) {
        return withExtras(model, corrected, followUp(base, chosen.entry, chosen.section));
      }
      if (aspect) {
        return followUp(base, context.topic, aspect);
      }
    }
  }

  if (intentConfident) {
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
  if (answering && !asking) {
    return { ...base, intent: 'unknown', topics, confidence: round(best.p) };
  }

  // A question about our topics: the passage that holds the fact asked decides the answer.
  const inScope =
    (best.label.startsWith(TOPIC) && best.p >= t.accept) ||
    (mentioned.length > 0 && best.label !== OOS_LABEL) ||
    (mentioned.length > 0 && best.p < MENTION_OVERRIDE_BELOW) ||
    // "What's the psoas?": a short "what is" question naming one of our entries' own words.
    (mentioned.length > 0 &&
      words.split(' ').length <= 6 &&
      (model.retriever?.questionTypes(corrected).includes('definition') ?? false)) ||
    domainQuestion(model, corrected, ranked);
  const domainWords = domainWordCount(model, corrected);
  // A question in this bot's words (the bum, the leg, pain) that the classifier spreads over several
  // of our topics, with little for "out of scope": ours, though no single entry is sure.
  // Asking for something other than a named treatment is ours too.
  const spread = bodyQuestion(model, corrected, ranked) || unwanted.size > 0;
  if (inScope || domainWords >= 2 || spread) {
    const passages = choosePassages(model, corrected, ranked, mentioned, aspect).filter(
      (p) => !unwanted.has(p.entry),
    );
    const decided = decide(passages, ranked, mentioned);
    if (decided) return withExtras(model, corrected, { ...base, intent: 'question', ...decided });
    // A body-words question that asks an aspect ("why does my bum hurt down my leg?"): the general
    // entry for that aspect, the likeliest entries offered with it.
    const general = spread && aspect ? DEFAULT_ASPECT_FALLBACK[aspect] : undefined;
    if (general && model.sections.has(general)) {
      const rest = [...new Set(passages.map((p) => p.entry))].filter((id) => id !== general).slice(0, 2);
      return withExtras(model, corrected, {
        ...base,
        intent: 'question',
        ...(model.sections.get(general)?.has(aspect!) ? { aspect } : {}),
        topics: [{ id: general, confidence: 0.45 }, ...rest.map((id) => ({ id, confidence: 0.36 }))],
        confidence: 0.45,
      });
    }
    // The passage that matches the question best is answered, the next entries offered with it.
    const best = passages[0];
    if (spread && best && best.match >= 0.5 && best.raw >= 5) {
      const rest = [...new Set(passages.map((p) => p.entry))].filter((id) => id !== best.entry).slice(0, 2);
      return withExtras(model, corrected, {
        ...base,
        intent: 'question',
        ...(best.section ? { aspect: best.section } : {}),
        topics: [{ id: best.entry, confidence: 0.45 }, ...rest.map((id) => ({ id, confidence: 0.36 }))],
        confidence: 0.45,
      });
    }
    // Something other than a treatment, and nothing more specific asked: the kinds of treatment.
    const overview = DEFAULT_ASPECT_FALLBACK.treatment;
    if ([...unwanted].some((id) => model.treatments.has(id)) && overview && model.sections.has(overview))
      return {
        ...base,
        intent: 'question',
        ...(model.sections.get(overview)?.has('more') ? { aspect: 'more' as const } : {}),
        topics: [{ id: overview, confidence: 0.62 }],
        confidence: 0.62,
      };
    // A message full of this domain's words is never "out of scope": offer the nearest entries.
    const near = [...new Set(passages.map((p) => p.entry))].slice(0, 3);
    if (domainWords >= 2 && near.length >= 2)
      return {
        ...base,
        intent: 'question',
        topics: near.map((id) => ({ id, confidence: 0.4 })),
        confidence: 0.4,
      };
  }

  // A short, vague message with a word several entries share ("disc problems?"): offer them.
  const tokens = corrected.split(' ');
  if (tokens.length <= 4) {
    const shared = tokens.map((w) => model.sharedWords.get(w)).find((ids) => ids !== undefined);
    if (shared) {
      const candidates = shared.map((id) => ({ id, confidence: 0.4 }));
      return { ...base, intent: 'question', topics: candidates, confidence: 0.4 };
    }
  }

  if (best.label === OOS_LABEL && best.p >= t.accept) {
    return withOwnQualifier(model, corrected, {
      ...base,
      intent: 'out_of_scope',
      topics,
      confidence: round(best.p),
    });
  }

  // Nothing is sure enough: gibberish is "not understood"; anything else is out of scope, with the
  // weak candidates kept so the machine can offer "did you mean".
  const known = corrected.split(' ').filter((w) => model.vocabulary.has(w)).length;
  const intent: Intent = known / corrected.split(' ').length < 0.34 ? 'unknown' : 'out_of_scope';
  const u: Understanding = { ...base, intent, topics, confidence: round(1 - best.p) };
  return intent === 'out_of_scope' ? withOwnQualifier(model, corrected, u) : u;
}

interface ScoredPassage {
  entry: string;
  section?: Aspect;
  score: number;
  /** The entry's probability as used (classifier posterior, raised for named or current topics). */
  prior: number;
  match: number;
  raw: number;
}

/**
 * Rank the passages of the candidate entries (the classifier's best topics, topics named in the
 * message, and the current topic for a follow-up) by the classifier's topic posterior, how well the
 * passage's words match the question (BM25), whether it answers the question's type ("how
 * common?") and whether it is the section the question's aspect names.
 */
export function choosePassages(
  model: NluModel,
  text: string,
  ranked: readonly Prediction[],
  mentioned: readonly string[],
  aspect: Aspect | undefined,
  focus?: string,
  general?: string,
): ScoredPassage[] {
  const retriever = model.retriever;
  const priors = new Map<string, number>();
  for (const p of ranked.slice(0, 12))
    if (p.label.startsWith(TOPIC) && p.p >= 0.01) priors.set(p.label.slice(TOPIC.length), p.p);
  for (const id of mentioned) priors.set(id, Math.max(priors.get(id) ?? 0, 0.3));
  if (focus && model.sections.has(focus)) {
    // A follow-up names no topic: what the classifier reads is the generic question ("how is it
    // treated?"), so other entries weigh less than the topic being discussed.
    // Another entry may still answer when the follow-up brings a topic word of its own ("what about
    // herbs?"), not for generic words ("is it suitable for everyone?").
    const cap = domainWordCount(model, text) > 0 ? 0.3 : 0.05;
    for (const [id, p] of priors) if (!mentioned.includes(id)) priors.set(id, Math.min(p, cap));
    priors.set(focus, Math.max(priors.get(focus) ?? 0, 0.6));
  }
  if (general && model.sections.has(general)) priors.set(general, Math.max(priors.get(general) ?? 0, 0.5));
  if (!retriever) {
    return [...priors]
      .sort((a, b) => b[1] - a[1])
      .map(([entry, prior]) => {
        const section = aspectOf(model, entry, aspect);
        return { entry, ...(section ? { section } : {}), score: prior, prior, match: 0, raw: 0 };
      });
  }
  // Words the passage search finds anywhere also bring their entry in ("psoas" names no entry).
  const raw = retriever.raw(text);
  const top = Math.max(1e-9, ...raw);
  raw.forEach((r, i) => {
    const entry = retriever.passages[i]!.entry;
    if (r / top >= 0.8 && r >= 4 && !priors.has(entry)) priors.set(entry, 0.05);
  });
  const types = retriever.questionTypes(text);
  const specific = aspect !== undefined || types.some((x) => x !== 'definition');
  const all = retriever.score(text, new Set(priors.keys()));
  // Rare words of the question found in a section but not in its entry's overview point at that section.
  const overviewRare = new Map(all.filter((s) => !s.section).map((s) => [s.entry, new Set(s.rare)]));
  const rareOf = (s: (typeof all)[number]) =>
    s.section ? s.rare.filter((r) => !overviewRare.get(s.entry)?.has(r)) : [];
  const pointed = new Set(all.filter((s) => rareOf(s).length > 0).map((s) => s.entry));
  const scored = all.map((s) => {
    const prior = priors.get(s.entry) ?? 0.01;
    let score = Math.log(prior + 0.02) + 1.2 * s.match;
    // "What is X?" wants the overview, but only weakly: the X asked may be a detail of another passage.
    // A question type counts fully only when the passage also shares a word with the question.
    if (s.typeHits.some((x) => x !== 'definition')) score += s.raw > 0 ? 0.8 : 0.3;
    else if (s.typeHits.length > 0) score += 0.3;
    // The aspect's section; an entry without one answers the aspect with its overview ("causes of X").
    if (aspect && aspect !== 'more') {
      if (s.section === aspect) score += 0.6;
      else if (!s.section && s.entry !== focus && !model.sections.get(s.entry)?.has(aspect)) score += 0.6;
    }
    if (rareOf(s).length > 0) score += 0.5;
    // A question about the topic in general gets its overview; a follow-up asking for more than
    // that overview (which was just said) does not get it again.
    // "What does that mean?" asks for the overview even when a rare word points at a section.
    if (!s.section && !specific && (!pointed.has(s.entry) || types.includes('definition'))) score += 0.8;
    if (!s.section && focus && s.entry === focus && specific) score -= 0.6;
    return {
      entry: s.entry,
      ...(s.section ? { section: s.section } : {}),
      score,
      prior,
      match: s.match,
      raw: s.raw,
    };
  });
  return scored.sort((a, b) => b.score - a.score);
}

/**
 * Answer with the best passage, or offer "did you mean" when the best passages of two different
 * entries are close and neither entry is clearly meant.
 */
function decide(
  passages: readonly ScoredPassage[],
  ranked: readonly Prediction[],
  mentioned: readonly string[],
): Pick<Understanding, 'topics' | 'aspect' | 'confidence'> | undefined {
  const top = passages[0];
  if (!top) return undefined;
  const rival = passages.find((p) => p.entry !== top.entry);
  const topTopic = ranked.find((p) => p.label.startsWith(TOPIC));
  const gap = rival ? top.score - rival.score : Infinity;
  const named = mentioned.includes(top.entry);
  // Evidence beyond the classifier: the passage's own words match the question well.
  const evidence = top.raw >= 4 && top.match >= 0.6 && gap >= 0.35;
  const base =
    top.entry === topTopic?.label.slice(TOPIC.length) ? Math.max(top.prior, topTopic.p) : top.prior;
  let confidence: number;
  let clear: boolean;
  const namedOnly = named && mentioned.filter((id) => id !== top.entry).length === 0;
  if (base >= 0.6) [confidence, clear] = [base, true];
  else if (namedOnly || (base >= 0.2 && evidence) || (base >= 0.4 && gap >= 0.8))
    [confidence, clear] = [Math.max(0.62, base), true];
  else if (base >= 0.3 || named) [confidence, clear] = [Math.min(0.55, Math.max(base, 0.4)), false];
  else return undefined;
  confidence = round(confidence);
  const topics: TopicMatch[] = [{ id: top.entry, confidence }];
  const seen = new Set([top.entry]);
  for (const p of passages) {
    if (seen.has(p.entry) || topics.length >= 3) continue;
    seen.add(p.entry);
    topics.push({
      id: p.entry,
      confidence: round(clear ? Math.min(p.prior, confidence - 0.2) : Math.min(0.5, p.prior + 0.2)),
    });
  }
  return { topics, ...(top.section ? { aspect: top.section } : {}), confidence };
}

/**
 * Whether a message talks about this bot's body parts or symptoms and the classifier reads it as
 * ours: its topics together are likely, out of scope is not.
 */
function bodyQuestion(model: NluModel, text: string, ranked: readonly Prediction[]): boolean {
  if (!model.bodyTalk?.test(text)) return false;
  const best = ranked[0];
  if (!best?.label.startsWith(TOPIC)) return false;
  let mass = 0;
  let oos = 0;
  for (const p of ranked) {
    if (p.label.startsWith(TOPIC)) mass += p.p;
    else if (p.label === OOS_LABEL) oos = p.p;
  }
  return mass >= 0.8 && oos < 0.15;
}

/** Entries named right after words such as "don't want", "apart from", "instead of". */
function excludedEntries(model: NluModel, text: string): ReadonlySet<string> {
  const out = new Set<string>();
  if (!model.excluding) return out;
  for (const m of text.matchAll(model.excluding)) {
    const after = m[1] ?? '';
    for (const mention of model.mentions) if (mention.re.test(after)) out.add(mention.id);
  }
  return out;
}

/** The classifier's reading without the unwanted entries, the rest scaled back up to sum as before. */
function without(ranked: Prediction[], unwanted: ReadonlySet<string>): Prediction[] {
  if (unwanted.size === 0) return ranked;
  const drop = (p: Prediction) => p.label.startsWith(TOPIC) && unwanted.has(p.label.slice(TOPIC.length));
  const removed = ranked.filter(drop).reduce((sum, p) => sum + p.p, 0);
  const scale = removed < 1 ? 1 / (1 - removed) : 1;
  return ranked.filter((p) => !drop(p)).map((p) => ({ ...p, p: p.p * scale }));
}

/**
 * Whether the question names a thing the knowledge never mentions ("fertility", "America"): a noun
 * of five letters or more that no entry, example or language-file list uses. The answer given is
 * then the nearest we have, and the patient is told so.
 */
function namesUnknownThing(model: NluModel, text: string): boolean {
  return text.split(' ').some((w) => w.length >= 5 && !model.knownStems.has(stem(w)) && model.nouns.has(w));
}

const CHILD_AGE_SLOT = '{age under 18}';

/** A follow-up answered from this entry (and section): sure, since the conversation names the topic. */
function followUp(
  base: Omit<Understanding, 'intent' | 'confidence'>,
  id: string,
  aspect?: Aspect,
): Understanding {
  return {
    ...base,
    intent: 'question',
    ...(aspect ? { aspect } : {}),
    topics: [{ id, confidence: 0.9 }],
    confidence: 0.9,
  };
}

/** One expression matching any of the phrases as whole words, on canonical() text. */
function anyWord(phrases: readonly string[]): RegExp {
  // "{age under 18}" in a phrase stands for a number from 0 to 17 ("my {age under 18} year old").
  const escaped = phrases
    .map((w) =>
      w
        .split(CHILD_AGE_SLOT)
        .map((part) => canonical(part).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join(' (?:1[0-7]|[0-9]) ')
        .trim(),
    )
    .filter(Boolean);
  return new RegExp(`\\b(?:${escaped.join('|')})\\b`);
}

/** How many distinct words of this domain (see buildNluModel: domainStems) the message has. */
function domainWordCount(model: NluModel, text: string): number {
  const stems = new Set(canonical(text).split(' ').filter(Boolean).map(stem));
  let n = 0;
  for (const s of stems) if (model.domainStems.has(s)) n++;
  return n;
}

/** Whether a message the classifier calls out of scope is full of this domain's words (a passage matches it well). */
function domainQuestion(model: NluModel, text: string, ranked: readonly Prediction[]): boolean {
  const retriever = model.retriever;
  if (!retriever) return false;
  const best = ranked[0];
  if (best && best.label === OOS_LABEL && best.p >= 0.9) return false;
  const top = Math.max(0, ...retriever.raw(text));
  return top >= (best?.label === OOS_LABEL && best.p >= 0.7 ? 9 : 6);
}

/**
 * An out-of-scope message that carries a qualifier about no entry in particular ("can you give me a
 * fit note?", "how much does it cost?"): its honest reply says who can help, better than "I only know about...".
 */
function withOwnQualifier(model: NluModel, text: string, u: Understanding): Understanding {
  const q = model.qualifiers.find(
    (x) => !x.about && !x.thenAnswer && x.re.test(text) && !x.unless?.test(text),
  );
  return q ? { ...u, qualifier: q.name } : u;
}

/** A qualifier the knowledge cannot answer for the person, and a second question in the same message. */
function withExtras(model: NluModel, text: string, u: Understanding): Understanding {
  const entry = u.topics[0]?.id;
  const qualifier = model.qualifiers.find(
    (q) => q.re.test(text) && !q.unless?.test(text) && (!q.about || (entry && q.about.has(entry))),
  );
  if (qualifier)
    return {
      ...u,
      qualifier: qualifier.name,
      ...(qualifier.thenAnswer ? { qualifierThenAnswer: true } : {}),
    };
  const also = entry ? secondQuestion(model, text, entry, u.aspect) : undefined;
  const partial = model.language.isQuestion(text) && namesUnknownThing(model, text);
  return { ...u, ...(also ? { also } : {}), ...(partial ? { partial: true } : {}) };
}

/**
 * Two questions in one message ("what is it and is it common?", "heat or ice, and how long will it
 * take?"): each part that asks something of its own is matched on its own, the first answer's
 * topic carried into a part that names none. Returns the part whose passage the answer lacks.
 */
function secondQuestion(
  model: NluModel,
  text: string,
  entry: string,
  section: Aspect | undefined,
): Understanding['also'] {
  const retriever = model.retriever;
  if (!retriever) return undefined;
  const parts = text
    .split(/\s*(?:[?,;]+|\b(?:and|also|plus|or should i|as well as)\b)\s*/)
    .map((p) => p.trim())
    .filter((p) => retriever.contentTerms(p).length >= 1 && p.split(' ').length >= 2);
  if (parts.length < 2) return undefined;
  for (const part of parts) {
    const mentioned = model.mentions.filter((m) => m.re.test(part)).map((m) => m.id);
    const aspect = model.language.aspect(part);
    const types = retriever.questionTypes(part).filter((x) => x !== 'definition');
    const cued = aspect !== undefined || types.length > 0 || mentioned.length > 0;
    // A part that is a question of its own ("should I keep working?") counts when one topic is clear.
    if (!cued && !model.language.isQuestion(part)) continue;
    const ranked = model.classifier.predict(part);
    const topTopic = ranked.find((p) => p.label.startsWith(TOPIC));
    if (!cued && !(topTopic && ranked[0] === topTopic && topTopic.p >= 0.7)) continue;
    const own = mentioned.length > 0 || (topTopic !== undefined && topTopic.p >= 0.5);
    // "... and how is it treated?" about the first answer's topic: its section, or the general
    // entry for that aspect when it has none (as a follow-up would be answered).
    if (
      mentioned.length === 0 &&
      domainWordCount(model, part) === 0 &&
      aspect &&
      aspect !== 'more' &&
      aspect !== section
    ) {
      if (model.sections.get(entry)?.has(aspect)) return { topic: entry, aspect };
      const general = DEFAULT_ASPECT_FALLBACK[aspect];
      if (general && general !== entry && model.sections.has(general))
        return { topic: general, ...(model.sections.get(general)?.has(aspect) ? { aspect } : {}) };
    }
    const best = choosePassages(model, part, ranked, mentioned, aspect, own ? undefined : entry)[0];
    if (!best || (best.entry === entry && best.section === section)) continue;
    if (best.match < 0.3 && !mentioned.includes(best.entry)) continue;
    return { topic: best.entry, ...(best.section ? { aspect: best.section } : {}) };
  }
  return undefined;
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
