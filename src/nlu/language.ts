/**
 * Short answers (yes / no / not sure), follow-up aspects ("how is it treated?") and choice picking
 * ("2", "the second one", a label typed back). The word lists live in knowledge/language.yaml so
 * staff can add a synonym; this module only matches them. Pure.
 */
import { z } from 'zod';
import type { Aspect, Intent } from '../../dialogs/types.js';
import { symptomReportSchema } from './symptom-report.js';
import { normalize, stem } from './text.js';

const phrases = z.array(z.string().trim().min(1)).min(1);

export const languageFileSchema = z
  .object({
    format: z.literal(1, { error: 'must be 1' }),
    answers: z.object({ affirm: phrases, deny: phrases, unsure: phrases }).strict(),
    aspects: z
      .object({
        treatment: phrases,
        serious: phrases,
        outlook: phrases,
        causes: phrases,
        symptoms: phrases,
        diagnosis: phrases,
        prevention: phrases,
        more: phrases,
      })
      .strict(),
    followUpPronouns: phrases,
    polarity: z.object({ negative: phrases, positive: phrases }).strict(),
    options: z.record(z.string().regex(/^[a-z0-9_]+$/), phrases),
    alsoAccepted: z.record(z.string(), z.array(z.string())).optional(),
    retrieval: z
      .object({
        stopwords: phrases,
        synonyms: z.array(phrases),
        afterTreatment: z.record(z.string(), z.string()).optional(),
        /** Words asking beyond the topic being discussed ("what else can cause it?", "any other causes?"). */
        otherThanThis: phrases.optional(),
        /** Words before a treatment the patient wants other than ("I don't want pills", "apart from surgery"). */
        excluding: phrases.optional(),
        questionTypes: z.record(
          z.string().regex(/^[a-z0-9_]+$/),
          z
            .object({
              asks: phrases,
              answers: phrases.optional(),
              section: z
                .enum([
                  'overview',
                  'more',
                  'symptoms',
                  'causes',
                  'diagnosis',
                  'treatment',
                  'outlook',
                  'serious',
                  'prevention',
                ])
                .optional(),
            })
            .strict(),
        ),
      })
      .strict()
      .optional(),
    qualifiers: z
      .record(
        z.string().regex(/^[a-z0-9_]+$/),
        z
          .object({
            words: phrases,
            about: z.array(z.string()).optional(),
            unless: phrases.optional(),
            thenAnswer: z.boolean().optional(),
          })
          .strict(),
      )
      .optional(),
    /** Words that show a message describes symptoms (src/nlu/symptom-report.ts). */
    symptomReport: symptomReportSchema.optional(),
  })
  .strict();

export type LanguageFile = z.infer<typeof languageFileSchema>;

const CONTRACTIONS: Array<[RegExp, string]> = [
  [/\bdont\b/g, 'do not'],
  [/\bdoesnt\b/g, 'does not'],
  [/\bdidnt\b/g, 'did not'],
  [/\bcant\b/g, 'can not'],
  [/\bcannot\b/g, 'can not'],
  [/\bwont\b/g, 'will not'],
  [/\bisnt\b/g, 'is not'],
  [/\barent\b/g, 'are not'],
  [/\bhavent\b/g, 'have not'],
  [/\bhasnt\b/g, 'has not'],
  [/\bhadnt\b/g, 'had not'],
  [/\bwasnt\b/g, 'was not'],
  [/\bim\b/g, 'i am'],
  [/\bive\b/g, 'i have'],
];

/** canonical() with every word reduced to its Porter stem. */
export function stemmed(text: string): string {
  return canonical(text).split(' ').filter(Boolean).map(stem).join(' ');
}

/** normalize() plus the apostrophe-less contractions people type ("dont", "im"). */
export function canonical(text: string): string {
  let s = normalize(text);
  for (const [re, to] of CONTRACTIONS) s = s.replace(re, to);
  return s;
}

const EMOJI_ANSWERS: Record<string, 'affirm' | 'deny'> = {
  '👍': 'affirm',
  '✅': 'affirm',
  '👎': 'deny',
  '❌': 'deny',
};

export interface LanguageModel {
  /** 'affirm' | 'deny' | 'unsure' when the whole message is a short answer. */
  shortAnswer(text: string): Extract<Intent, 'affirm' | 'deny' | 'unsure'> | undefined;
  /** What a follow-up asks about, if it names an aspect. */
  aspect(text: string): Aspect | undefined;
  /** True when the message points back at the current topic ("is IT serious?"). */
  pointsBack(text: string): boolean;
  /** True when a follow-up asks beyond the current topic ("what ELSE can cause it?"). */
  otherThanThis(text: string): boolean;
  /** A statement's yes/no polarity ("I've never had cancer" -> deny), or undefined when mixed or none. */
  polarity(text: string): 'affirm' | 'deny' | undefined;
  /** The one offered option whose words the message carries ("sitting for a long time" -> option:sitting). */
  optionBySynonym(text: string, payloads: readonly string[]): string | undefined;
  /** True when the message reads as a question rather than a statement. */
  isQuestion(text: string): boolean;
}

/** Stems that negate a following positive cue. */
const NEGATORS = new Set(['not', 'no', 'never', 'dont', 'didnt', 'doesnt', 'cant']);

// "Do not think so" and "have not" are statements, not questions.
const QUESTION_START =
  /^(what|whats|how|why|when|where|who|which|can|could|is|are|does|do|did|should|will|would|am|may|might|shall|has|have)\b(?! not\b)/;

/** Leading filler that does not change a short answer ("um no", "well yes"). */
const FILLER = new Set(['um', 'umm', 'uh', 'er', 'erm', 'well', 'oh', 'hmm', 'so', 'and', 'but', 'just']);
/** Trailing words a short answer may carry ("no thanks", "yes please", "nope not at all"). */
const TRAILING = new Set([
  'thanks',
  'thank',
  'you',
  'please',
  'thx',
  'ta',
  'mate',
  'at',
  'all',
  'really',
  'though',
  'sorry',
]);

export function compileLanguage(file: LanguageFile): LanguageModel {
  const answerSets = (['unsure', 'deny', 'affirm'] as const).map(
    (kind) => [kind, new Set(file.answers[kind].map(canonical).filter(Boolean))] as const,
  );
  // Aspect cues match on word stems, so "prevent" also finds "prevented" and "preventing".
  const otherList = file.retrieval?.otherThanThis ?? [];
  const otherThanThis =
    otherList.length > 0
      ? new RegExp(`\\b(?:${otherList.map((p) => escape(stemmed(p))).filter(Boolean).join('|')})\\b`)
      : undefined;
  const aspectPatterns = (Object.entries(file.aspects) as Array<[Aspect, string[]]>).map(
    ([aspect, list]) => ({
      aspect,
      re: new RegExp(
        `\\b(?:${list
          .map((p) => escape(stemmed(p)))
          .filter(Boolean)
          .join('|')})\\b`,
      ),
    }),
  );
  const anyOf = (list: readonly string[]) =>
    new RegExp(
      `\\b(?:${list
        .map((p) => escape(stemmed(p)))
        .filter(Boolean)
        .join('|')})\\b`,
    );
  const negative = anyOf(file.polarity.negative);
  // "I have" is positive, "I have never" and "I did not" are not.
  const positive = new RegExp(`${anyOf(file.polarity.positive).source}(?! (?:not|never|no)\\b)`);
  const positiveAll = new RegExp(positive.source, 'g');
  const optionPatterns = new Map(Object.entries(file.options).map(([code, list]) => [code, anyOf(list)]));
  const pronouns = new RegExp(
    `\\b(?:${file.followUpPronouns.map((p) => escape(canonical(p))).join('|')})\\b`,
  );

  return {
    shortAnswer(text) {
      const trimmed = text.trim();
      if (EMOJI_ANSWERS[trimmed]) return EMOJI_ANSWERS[trimmed];
      const words = canonical(text).split(' ').filter(Boolean);
      while (words.length > 1 && FILLER.has(words[0]!)) words.shift();
      if (words.length === 0 || words.length > 7) return undefined;
      // Longest phrase first: "not sure" is unsure, not deny; "i do not think so" is deny.
      for (let end = words.length; end >= 1; end--) {
        const head = words.slice(0, end).join(' ');
        const rest = words.slice(end);
        if (!rest.every((w) => TRAILING.has(w))) continue;
        for (const [kind, set] of answerSets) if (set.has(head)) return kind;
      }
      // "yes i have", "no i have not", "nope never": the first word decides if the rest agrees.
      const first = words[0]!;
      const firstKind = answerSets.find(([, set]) => set.has(first))?.[0];
      if (firstKind && words.length <= 4) {
        const rest = words.slice(1).join(' ');
        const restKind = answerSets.find(([, set]) => set.has(rest))?.[0];
        if (
          !rest ||
          restKind === firstKind ||
          (firstKind !== 'unsure' && ['i have', 'i do', 'i am', 'i did'].includes(rest))
        )
          return firstKind;
        if (firstKind === 'deny' && /^(i|it) (have|do|am|did|does|is|has|was) not\b/.test(rest))
          return 'deny';
      }
      return undefined;
    },
    aspect(text) {
      const s = stemmed(text);
      // "tell me more" wins over the aspect words it may contain.
      // "What else" with an aspect asks that aspect beyond this topic ("what else can cause it?").
      const more = aspectPatterns.find((p) => p.aspect === 'more');
      const moreMatch = more?.re.exec(s);
      if (moreMatch && !otherThanThis?.test(moreMatch[0])) return 'more';
      let best: { aspect: Aspect; at: number } | undefined;
      for (const { aspect, re } of aspectPatterns) {
        if (aspect === 'more') continue;
        const m = re.exec(s);
        if (m && (!best || m.index < best.at)) best = { aspect, at: m.index };
      }
      return best?.aspect ?? (moreMatch ? 'more' : undefined);
    },
    pointsBack(text) {
      return pronouns.test(canonical(text));
    },
    otherThanThis(text) {
      return otherThanThis?.test(stemmed(text)) ?? false;
    },
    polarity(text) {
      const s = stemmed(text);
      const neg = negative.test(s);
      // A positive cue with a negation just before it is not positive: "don't think I have".
      const pos = [...s.matchAll(positiveAll)].some((m) => {
        const before = s.slice(0, m.index).trim().split(' ').slice(-3);
        return !before.some((w) => NEGATORS.has(w));
      });
      if (neg === pos) return undefined;
      return neg ? 'deny' : 'affirm';
    },
    optionBySynonym(text, payloads) {
      const s = stemmed(text);
      // Codes accepted next to an offered one without a button of their own.
      const extra = payloads.flatMap((p) =>
        (file.alsoAccepted?.[p.replace(/^option:/, '')] ?? []).map((c) => `option:${c}`),
      );
      const hits = [...payloads, ...extra].filter((p) => {
        const re = optionPatterns.get(p.replace(/^option:/, ''));
        return p.startsWith('option:') && re !== undefined && re.test(s);
      });
      return hits.length === 1 ? hits[0] : undefined;
    },
    isQuestion(text) {
      if (text.trim().endsWith('?')) return true;
      // Any clause that opens with a question word: "sorry quick one, where do I park".
      return text
        .split(/[,.;:!\n]+|\b(?:and|so|but|also|ok|okay|well)\b/i)
        .some((clause) => QUESTION_START.test(canonical(clause)));
    },
  };
}

const ORDINALS: Record<string, number> = {
  one: 1,
  first: 1,
  '1st': 1,
  two: 2,
  second: 2,
  '2nd': 2,
  three: 3,
  third: 3,
  '3rd': 3,
  four: 4,
  fourth: 4,
  '4th': 4,
  five: 5,
  fifth: 5,
  '5th': 5,
  six: 6,
  sixth: 6,
  '6th': 6,
  last: -1,
};

/**
 * Which offered choice a message picks: by number ("2", "option 2", "the second one") or by its
 * label typed back (exactly, or with small differences). Undefined when it picks none.
 */
export function pickChoice(
  text: string,
  choices: ReadonlyArray<{ payload: string; label: string }> | undefined,
): string | undefined {
  if (!choices || choices.length === 0) return undefined;
  const s = canonical(text);
  if (!s) return undefined;
  const byLabel = choices.find((c) => canonical(c.label) === s);
  if (byLabel) return byLabel.payload;
  const m =
    /^(?:(?:option|number|no|choice|the)\s+)?(\d{1,2}|one|two|three|four|five|six|first|second|third|fourth|fifth|sixth|1st|2nd|3rd|4th|5th|6th|last)(?:\s+(?:one|option|please|thanks))?$/.exec(
      s,
    );
  if (m) {
    const token = m[1]!;
    let n = /^\d+$/.test(token) ? Number(token) : (ORDINALS[token] ?? 0);
    if (n === -1) n = choices.length;
    if (n >= 1 && n <= choices.length) return choices[n - 1]!.payload;
    return undefined;
  }
  // A label typed with a small slip: most of its words present, in a short message.
  const words = new Set(s.split(' '));
  if (words.size <= 8) {
    let best: { payload: string; score: number } | undefined;
    for (const c of choices) {
      const labelWords = canonical(c.label)
        .split(' ')
        .filter((w) => w.length > 2);
      if (labelWords.length === 0) continue;
      const hit = labelWords.filter((w) => words.has(w)).length / labelWords.length;
      const extra = [...words].filter((w) => !labelWords.includes(w)).length;
      const score = hit - extra * 0.1;
      if (hit >= 0.75 && score > (best?.score ?? 0.6)) best = { payload: c.payload, score };
    }
    return best?.payload;
  }
  return undefined;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+');
}
