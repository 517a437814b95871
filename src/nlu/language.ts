/**
 * Short answers (yes / no / not sure), follow-up aspects ("how is it treated?") and choice picking
 * ("2", "the second one", a label typed back). The word lists live in knowledge/language.yaml so
 * staff can add a synonym; this module only matches them. Pure.
 */
import type { Aspect, Intent } from '../../dialogs/types.js';
import type { LanguageFile } from '../knowledge/language-file.js';
import { normalize, stemmed } from '../text/fold.js';

export type { LanguageFile };

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

/** Escaped alternation of phrases as the readers see them (normalised, or stemmed). */
function alternativesOf(list: readonly string[], form: (text: string) => string): string {
  return list
    .map((p) => escape(form(p)))
    .filter(Boolean)
    .join('|');
}

export function compileLanguage(file: LanguageFile): LanguageModel {
  const { words: small } = file;
  /** Stems that negate a following positive cue. */
  const negators = new Set(small.negators.map(stemmed));
  const filler = new Set(small.filler.map(normalize));
  const trailing = new Set(small.trailing.map(normalize));
  // "Do not think so" and "have not" are statements, not questions.
  // "Do not think so" and "have not" are statements; "why not?" is still a question.
  const whWords = small.questionStarts.filter((w) => /^(?:wh|how)/.test(w));
  const auxWords = small.questionStarts.filter((w) => !/^(?:wh|how)/.test(w));
  const questionStart = new RegExp(
    `^(?:(?:${alternativesOf(whWords, normalize)})\\b|(?:${alternativesOf(auxWords, normalize)})\\b(?! not\\b))`,
  );
  const emojiAnswers = new Map<string, 'affirm' | 'deny'>([
    ...small.emojiAnswers.affirm.map((e): [string, 'affirm'] => [e, 'affirm']),
    ...small.emojiAnswers.deny.map((e): [string, 'deny'] => [e, 'deny']),
  ]);
  const answerSets = (['unsure', 'deny', 'affirm'] as const).map(
    (kind) => [kind, new Set(file.answers[kind].map(normalize).filter(Boolean))] as const,
  );
  // "What else ...?" with an aspect asks beyond the current topic.
  const otherList = file.retrieval?.otherThanThis ?? [];
  const otherThanThis =
    otherList.length > 0
      ? new RegExp(
          `\\b(?:${otherList
            .map((p) => escape(stemmed(p)))
            .filter(Boolean)
            .join('|')})\\b`,
        )
      : undefined;
  // Aspect cues match on word stems, so "prevent" also finds "prevented" and "preventing".
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
    `\\b(?:${file.followUpPronouns.map((p) => escape(normalize(p))).join('|')})\\b`,
  );

  return {
    shortAnswer(text) {
      const trimmed = text.trim();
      const emoji = emojiAnswers.get(trimmed);
      if (emoji) return emoji;
      const words = normalize(text).split(' ').filter(Boolean);
      while (words.length > 1 && filler.has(words[0]!)) words.shift();
      if (words.length === 0 || words.length > 7) return undefined;
      // Longest phrase first: "not sure" is unsure, not deny; "i do not think so" is deny.
      for (let end = words.length; end >= 1; end--) {
        const head = words.slice(0, end).join(' ');
        const rest = words.slice(end);
        if (!rest.every((w) => trailing.has(w))) continue;
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
      return pronouns.test(normalize(text));
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
        return !before.some((w) => negators.has(w));
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
        .some((clause) => questionStart.test(normalize(clause)));
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
  const s = normalize(text);
  if (!s) return undefined;
  const byLabel = choices.find((c) => normalize(c.label) === s);
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
      const labelWords = normalize(c.label)
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
