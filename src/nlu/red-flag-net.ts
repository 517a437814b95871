/**
 * The second red-flag net: a learned detector for wordings of the warning signs that the rule
 * table (knowledge/red-flags.yaml) has not written down yet.
 *
 * The table stays the clinician's source of truth. This net is the project's softmax classifier
 * (./classifier.ts: Porter stems via natural's stemmer, word bigrams, character 3-5-grams for
 * typos, calibrated probabilities) trained on
 *   - every rule's `fires` examples, labelled with the rule's signal,
 *   - every rule's `does_not_fire` examples, labelled "none",
 *   - the wordings and near-misses of knowledge/red-flag-net.yaml,
 *   - the knowledge base's example questions, intents and out-of-scope messages, as "none" (so a
 *     question ABOUT a warning sign is not read as the sign).
 * Why this classifier and not natural's BayesClassifier or LogisticRegressionClassifier:
 * `npm run bench:redflag-net` compares them on the same split; see the README.
 *
 * A message is read whole and sentence by sentence (a sign buried in a long story or after an FAQ
 * question). A sentence that asks a question and says nothing about a person ("can sciatica affect
 * your bladder?") is skipped. The net reports a sign only when it is one of `acts_on`, its
 * probability reaches `threshold`, and the table did not already find that sign: a rule gap.
 */
import type { RedFlagGap } from '../../dialogs/types.js';
import type { RedFlagNetFile, RedFlagTable } from '../knowledge/clinical-tables.js';
import { fold } from '../text/fold.js';
import {
  loadClassifier,
  trainClassifier,
  type ClassifierJSON,
  type Example,
  type TextClassifier,
  type TrainOptions,
} from './classifier.js';

export const NONE = 'none';

export type { RedFlagGap, RedFlagNetFile };

export interface RedFlagNet {
  /** Signs in `text` that the net is confident of and that are not in `found` (the table's signals). */
  gaps(text: string, found: readonly string[]): RedFlagGap[];
  readonly classifier: TextClassifier;
}

/** The net's own training options: the project defaults, balanced over its unequal classes. */
export const NET_TRAIN_OPTIONS: TrainOptions = {
  classWeight: 'balanced',
  seed: 11,
  features: { charWeight: 0.5 },
  calibration: 'none',
};

/** Training examples for the net, from the table, the net's file and "none" texts from the knowledge base. */
export function netExamples(
  table: RedFlagTable,
  file: RedFlagNetFile | undefined,
  otherTexts: readonly string[] = [],
): Example[] {
  const out: Example[] = [];
  for (const rule of table.rules) {
    for (const text of rule.fires) out.push({ text, label: rule.signal });
    for (const text of rule.does_not_fire) out.push({ text, label: NONE });
  }
  for (const [signal, texts] of Object.entries(file?.wordings ?? {}))
    for (const text of texts) out.push({ text, label: signal });
  for (const text of file?.none ?? []) out.push({ text, label: NONE });
  for (const text of otherTexts) out.push({ text, label: NONE });
  return out;
}

export interface NetSettings {
  threshold: number;
  /** A unit (message or sentence) needs at least this many words: two words are too little evidence. */
  minWords: number;
  /** Negation words ("no", "dont", "cant"): the words after one are marked as negated for the classifier. */
  negations: ReadonlySet<string>;
  /** Words that end a negation's reach ("but", "and"). */
  scopeBreaks: ReadonlySet<string>;
  /** A denial ("no", "arent") followed closely by a symptom word ("numbness") says the sign is absent. */
  denials: ReadonlySet<string>;
  symptomWords: ReadonlySet<string>;
  /** "Fine", "normal": not after a negation, the unit reassures. */
  reassurance: ReadonlySet<string>;
  /** Phrases that explain the words away (exercise, long ago, a pet): the net leaves such units to the table. */
  notWhen: readonly string[];
  actsOn: readonly string[];
  /** Words that name a person ("i", "my", "he", "husband"): a question with none of them reports nothing. */
  personWords: ReadonlySet<string>;
  /** Words that open a question. */
  questionWords: ReadonlySet<string>;
}

/** The person and question words of the rule table's language section (single words only). */
export function netSettings(table: RedFlagTable, file: RedFlagNetFile): NetSettings {
  const single = (phrases: readonly string[]): string[] => phrases.filter((p) => /^[a-z]+$/.test(p));
  return {
    threshold: file.settings.threshold,
    minWords: file.settings.min_words,
    denials: new Set(file.settings.denials),
    symptomWords: new Set(file.settings.symptom_words),
    reassurance: new Set(file.settings.reassurance),
    notWhen: file.settings.not_when.map((p) => ` ${p} `),
    negations: new Set(single(table.language.negation_before)),
    scopeBreaks: new Set([...single(table.language.clause_breaks), ...single(table.language.list_joiners)]),
    actsOn: file.settings.acts_on,
    personWords: new Set([
      ...single(table.language.self),
      ...single(table.language.someone_else),
      ...single(table.vocab.relative ?? []),
    ]),
    questionWords: new Set(single(table.language.question_words ?? [])),
  };
}

const WORD_RE = /[\p{L}\p{N}]+(?:'[\p{L}]+)*/gu;

/** The words of a text through the one fold, apostrophes dropped ("can't" -> "cant"). */
function words(text: string): string[] {
  return (fold(text).match(WORD_RE) ?? []).map((w) => w.replace(/'/g, ''));
}

/** How many words after a negation word are marked as negated (up to punctuation or a break word). */
const NEGATION_REACH = 4;
/** How far a denial reaches a symptom word ("I didn't fall or have any accident"). */
const DENIAL_REACH = 6;

/**
 * Mark the words a negation reaches ("no numbness down there" -> "no notnumbness notdown notthere")
 * so that a bag of words tells "no numbness" from "numbness" and "can't feel" from "can feel"
 * (Das & Chen 2001; Pang, Lee & Vaithyanathan 2002). Training and prediction both go through it.
 */
export function markNegation(text: string, settings: Pick<NetSettings, 'negations' | 'scopeBreaks'>): string {
  const out: string[] = [];
  let reach = 0;
  for (const m of fold(text).matchAll(/[\p{L}\p{N}]+(?:'[\p{L}]+)*|[.,;:!?()\n]/gu)) {
    const raw = m[0];
    if (!/^[\p{L}\p{N}]/u.test(raw)) {
      reach = 0;
      out.push(raw);
      continue;
    }
    const w = raw.replace(/'/g, '');
    if (settings.negations.has(w)) {
      out.push(w);
      reach = NEGATION_REACH;
    } else if (settings.scopeBreaks.has(w)) {
      out.push(w);
      reach = 0;
    } else if (reach > 0) {
      out.push(`not${w}`);
      reach--;
    } else out.push(w);
  }
  return out.join(' ');
}

export function createRedFlagNet(classifier: TextClassifier, settings: NetSettings): RedFlagNet {
  const acts = new Set(settings.actsOn);
  /** A question that names nobody ("what does saddle numbness mean?") asks, it does not report. */
  const generalQuestion = (sentence: string): boolean => {
    const ws = words(sentence);
    const asks = /\?\s*$/.test(sentence) || (ws[0] !== undefined && settings.questionWords.has(ws[0]));
    return asks && !ws.some((w) => settings.personWords.has(w));
  };
  /**
   * Left to the rule table, which reads negation and context word by word: a unit that denies a
   * symptom ("haven't noticed any numbness"), reassures ("all normal"), or has an explanation
   * ("after the marathon", "years ago", "the dog").
   */
  const leftToTable = (unit: string): boolean => {
    const ws = words(unit);
    const joined = ` ${ws.join(' ')} `;
    if (settings.notWhen.some((p) => joined.includes(p))) return true;
    const near = (from: number, to: number, set: ReadonlySet<string>): boolean =>
      ws.slice(Math.max(0, from), Math.max(0, to)).some((x) => set.has(x));
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i]!;
      if (settings.denials.has(w) && near(i + 1, i + 1 + DENIAL_REACH, settings.symptomWords)) return true;
      if (settings.reassurance.has(w) && !near(i - 3, i, settings.negations)) return true;
    }
    return false;
  };
  return {
    classifier,
    gaps(text, found) {
      const sentences = text
        .split(/(?<=[.!?;\n])\s*/)
        .map((s) => s.trim())
        .filter((s) => words(s).length > 0);
      const units = sentences.length > 1 ? [text, ...sentences] : sentences;
      const best = new Map<string, number>();
      for (const unit of units) {
        if (unit !== text || sentences.length === 1) {
          if (generalQuestion(unit)) continue;
        } else if (sentences.every(generalQuestion)) continue;
        if (words(unit).length < settings.minWords || leftToTable(unit)) continue;
        const top = classifier.predict(markNegation(unit, settings))[0];
        if (!top || top.label === NONE || top.p < settings.threshold || !acts.has(top.label)) continue;
        if (found.includes(top.label)) continue;
        best.set(top.label, Math.max(best.get(top.label) ?? 0, top.p));
      }
      return [...best].map(([signal, p]) => ({ signal, confidence: Math.round(p * 1000) / 1000 }));
    },
  };
}

export function trainRedFlagNet(examples: readonly Example[], settings: NetSettings): RedFlagNet {
  const marked = examples.map((e) => ({ text: markNegation(e.text, settings), label: e.label }));
  return createRedFlagNet(trainClassifier(marked, NET_TRAIN_OPTIONS), settings);
}

export function loadRedFlagNet(json: ClassifierJSON | string, settings: NetSettings): RedFlagNet {
  return createRedFlagNet(loadClassifier(json), settings);
}
