/**
 * Symptom reports: whether a message describes symptoms (the writer's own or someone else's) or
 * asks what to do about them, which warning signs it talks about whatever it says about them,
 * and a few small cues the symptom check reads ("only", "none of those", "not now", better or
 * worse). It reports; the dialog machine decides. The word lists live in knowledge/language.yaml
 * (`symptomReport`), so staff can add a word. Pure once compiled.
 *
 * Someone else's signs: the message is read again as if that person had written it ("my husband
 * can't pee" -> "I can't pee") by the same red-flag detector, and the signs found only that way are
 * theirs. History alone ("my dad had cancer") is not a current sign and is dropped.
 */
import type { Entities, SymptomReport } from '../../dialogs/types.js';
import type { LanguageWords, SymptomReportFile } from '../knowledge/language-file.js';
import { fold, normalize } from '../text/fold.js';
import type { RedFlagDetector } from './red-flags.js';

export type { SymptomReportFile };

export interface SymptomReading {
  report?: SymptomReport;
  otherSignals: string[];
  mentions: string[];
  only: boolean;
  listRef: boolean;
  notNow: boolean;
}

export interface SymptomReader {
  /** `signals` and `entities`: what the red-flag detector and the entity reader found in this message. */
  read(text: string, signals: readonly string[], entities?: Entities): SymptomReading;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+');

/** One regular expression matching any of the phrases as whole words, on normalised text. */
function anyOfWith(list: readonly string[], flags = ''): RegExp {
  const alternatives = [...new Set(list.map(normalize).filter(Boolean))]
    .sort((a, b) => b.length - a.length)
    .map(escape);
  return new RegExp(`\\b(?:${alternatives.join('|')})\\b`, flags);
}

/** Words ending in "s" after "I" that are not a third-person verb ("I was", "I always"). */
const NOT_VERBS = new Set(['wa', 'alway', 'sometime', 'perhap', 'als', 'thi', 'hi', 'ha', 'i', 'doe']);

export function compileSymptomReader(
  file: SymptomReportFile,
  detector: RedFlagDetector,
  words: Pick<LanguageWords, 'negators'>,
): SymptomReader {
  const anyOf = (list: readonly string[], flags = '') => anyOfWith(list, flags);
  /**
   * Words that turn a following "better" into "not better": the negators of language.yaml, and
   * "any", which makes "better" a question or a denial ("is it any better", "not any better").
   */
  const negators = new Set([...words.negators.map(normalize), 'any']);
  const others = file.others.map(normalize).filter(Boolean);
  const otherPossessive = anyOf(
    others.flatMap((o) => [`my ${o}s`, `our ${o}s`, `${o}s`]),
    'g',
  );
  const otherSubject = anyOf(
    others.flatMap((o) => [`my ${o}`, `our ${o}`]),
    'g',
  );
  const otherPhrases = others.flatMap((o) => [`my ${o}`, `our ${o}`, `${o}s`]);
  const otherPerson = anyOf(otherPhrases, 'g');
  const hasOtherPerson = anyOf(otherPhrases);
  const self = anyOf(file.self);
  const symptom = anyOf(file.symptoms);
  const body = anyOf(file.body);
  const request = anyOf(file.requests);
  const notNow = anyOf(file.notNow);
  const only = anyOf(file.only);
  const listRef = anyOf(file.listRefs);
  const startsQuestion = new RegExp(`^\\s*${anyOf(file.questionStarts).source}(?!\\s+not\\b)`);
  // An opener up to two words into a clause: "my real question is", "so just wondering".
  const opensQuestion = new RegExp(`^\\s*(?:[a-z0-9]+\\s+){0,2}${anyOf(file.questionOpeners).source}`);
  const better = anyOf(file.trend.better, 'g');
  const worse = anyOf(file.trend.worse);
  const notBetter = anyOf(file.trend.notBetter);
  const history = new Set(file.historySigns);
  const signs = Object.entries(file.signs).map(([signal, list]) => ({ signal, re: anyOf(list) }));
  const subjectPronoun = anyOf(file.otherPronouns.subject, 'g');
  const objectPronoun = anyOf(file.otherPronouns.object, 'g');
  const possessive = anyOf(file.otherPronouns.possessive, 'g');

  /** The message as if the other person had written it: "my husband can't pee, his back" -> "i can't pee, my back". */
  const asTheirs = (text: string) =>
    text
      .replace(otherPossessive, 'my')
      .replace(otherSubject, 'i')
      .replace(possessive, 'my')
      .replace(objectPronoun, 'me')
      .replace(subjectPronoun, 'i')
      // Verbs that agreed with the other person: "she has not" -> "i have not".
      .replace(/\bi hasnt\b/g, 'i havent')
      .replace(/\bi isnt\b/g, 'i am not')
      .replace(/\bi doesnt\b/g, 'i dont')
      .replace(/\bi has\b/g, 'i have')
      .replace(/\bi is\b/g, 'i am')
      .replace(/\bi does\b/g, 'i do')
      .replace(/\bi (\w+)s\b/g, (whole, verb: string) => (NOT_VERBS.has(verb) ? whole : `i ${verb}`));

  const trendOf = (s: string): SymptomReport['trend'] => {
    if (notBetter.test(s)) return 'same';
    if (worse.test(s)) return 'worse';
    for (const m of s.matchAll(better)) {
      const before = s.slice(0, m.index).trim().split(' ').slice(-3);
      return before.some((w) => negators.has(w)) ? 'same' : 'better';
    }
    return undefined;
  };

  return {
    read(text, signals, entities = {}) {
      const s = normalize(text);
      // A question: it ends with "?", or it or one of its clauses opens like one ("..., could it be
      // piriformis"); "I've had pain" or "it hurts when I sit" does not.
      const isQuestion =
        /\?\s*$/.test(text) ||
        startsQuestion.test(s) ||
        text
          .split(/[,.;:!?\n]+|\b(?:and|so|but|also|ok|okay|well)\b/i)
          .some((c) => opensQuestion.test(normalize(c)));
      const mentions = signs.filter((x) => x.re.test(s)).map((x) => x.signal);
      const aboutOther = hasOtherPerson.test(s);
      // The writer's own words once the other person's phrases are taken out ("my husband" has a "my").
      const own = aboutOther ? s.replace(otherPerson, ' ') : s;
      const selfRef = self.test(own) && (symptom.test(own) || body.test(own) || signals.length > 0);
      let otherSignals: string[] = [];
      // Someone else's signs count when the message is about them; a writer who describes their own
      // symptoms mentions the other person as context ("my back is sore from lifting my grandad").
      if (aboutOther && !selfRef) {
        const mine = new Set(signals);
        // Read from the typed words, folded (contractions kept: the detector knows "havent" and "hasnt").
        const typed = fold(text).replace(/'/g, '');
        const theirs = detector.detect(asTheirs(typed)).signals.filter((x) => !mine.has(x));
        otherSignals = theirs.some((x) => !history.has(x)) ? theirs : [];
      }
      const describes = symptom.test(s) || signals.length > 0 || otherSignals.length > 0;
      const asks = request.test(s);
      // With no person named, a description with some detail is the writer's own ("pain in lower
      // back going into the bum since last week"); a bare "back pain exercises" is a search.
      const detailed =
        asks ||
        entities.durationDays !== undefined ||
        entities.painScore !== undefined ||
        (entities.locations?.length ?? 0) >= 2 ||
        trendOf(s) !== undefined;
      const implicitSelf = !aboutOther && detailed;
      let report: SymptomReport | undefined;
      if (describes && (selfRef || aboutOther || implicitSelf) && (body.test(s) || signals.length > 0)) {
        const trend = trendOf(s);
        report = {
          subject: aboutOther && !selfRef ? 'other' : 'self',
          request: asks,
          question: isQuestion,
          ...(trend ? { trend } : {}),
        };
      }
      return {
        ...(report ? { report } : {}),
        otherSignals,
        mentions,
        only: only.test(s),
        listRef: listRef.test(s),
        notNow: notNow.test(s),
      };
    },
  };
}
