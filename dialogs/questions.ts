/**
 * The symptom check's questions, as data: the red-flag screen first (shared/clinical.md section 2:
 * people rarely volunteer bladder, bowel, saddle or sexual symptoms, so the bot asks), then the
 * details. Each question turns an Understanding into an answer code and the clinical signals it
 * sets, or says it cannot tell. Pure: no wording (keys only), no I/O.
 */
import type { BodyLocation, Choice, NluContext, Understanding } from './types.js';

export type QuestionId =
  | 'emergency'
  | 'bladder'
  | 'bowel'
  | 'saddle'
  | 'sexual'
  | 'both_legs'
  | 'urgent'
  | 'urgent_which'
  | 'leg_weakness'
  | 'fever'
  | 'injury'
  | 'cancer'
  | 'weight_loss'
  | 'infection'
  | 'numbness'
  | 'location'
  | 'duration'
  | 'severity'
  | 'worse'
  | 'age'
  | 'progress';

export type Expecting = NonNullable<NluContext['expecting']>;

export interface TriageQuestion {
  id: QuestionId;
  /** 'screen': warning-sign questions asked first; 'details': the rest. */
  phase: 'screen' | 'details';
  /**
   * 'group': one question over several signs ("do any of these apply?"); 'which': which of a
   * group's signs; 'sign': one sign (asked alone only to narrow a group down or when it can still
   * change the level); 'detail': about the pain.
   */
  kind: 'group' | 'which' | 'sign' | 'detail';
  expecting: Expecting;
  /** Group and which questions: the sign questions they stand for. */
  members?: readonly QuestionId[];
  /** Sign questions: the signal a plain "yes" sets. */
  yesSignal?: string;
  /** Sign questions: signals that, heard in the answer, count as a yes (and are kept as heard). */
  yesWhenHeard?: readonly string[];
  /** Option codes offered as choices ("option:<code>", label "option.<code>"). */
  options?: readonly string[];
  /** Cauda equina questions: an unclear answer means at least U (shared/clinical.md section 2). */
  critical?: boolean;
  /** Sign questions asked only when a yes could still change the level (numbness with a fever). */
  conditional?: boolean;
}

export const UNCLEAR = 'unclear';

const sign = (id: QuestionId, yesSignal: string, extra: Partial<TriageQuestion> = {}): TriageQuestion => ({
  id,
  phase: 'screen',
  kind: 'sign',
  expecting: 'yes_no',
  yesSignal,
  yesWhenHeard: [yesSignal, ...(extra.yesWhenHeard ?? [])],
  ...(extra.critical ? { critical: true } : {}),
  ...(extra.conditional ? { conditional: true } : {}),
});

/** Cauda equina and both legs: any yes is an emergency (shared/clinical.md section 2). */
export const EMERGENCY_SIGNS = ['bladder', 'bowel', 'saddle', 'sexual', 'both_legs'] as const;
/** Same-day signs: a yes is urgent, and some combinations are an emergency (the triage table). */
export const URGENT_SIGNS = [
  'leg_weakness',
  'fever',
  'injury',
  'cancer',
  'weight_loss',
  'infection',
] as const;

/** Codes of the location options; the first five are the NLU's BodyLocation values. */
export const LOCATION_OPTIONS = ['low_back', 'buttock', 'thigh', 'below_knee', 'foot', 'upper_back'] as const;
export const DURATION_OPTIONS = ['under_2_weeks', '2_to_6_weeks', '6_to_12_weeks', 'over_12_weeks'] as const;
export const WORSE_OPTIONS = [
  'sitting',
  'walking_standing',
  'bending',
  'night_rest',
  'cough_sneeze',
  'nothing',
] as const;
export const PROGRESS_OPTIONS = ['better', 'same', 'worse', 'not_tried'] as const;

/** Every question; the order of the screen is decided by nextTriageQuestion (dialog-logic.ts). */
export const QUESTIONS: readonly TriageQuestion[] = [
  {
    id: 'emergency',
    phase: 'screen',
    kind: 'group',
    expecting: 'yes_no',
    members: EMERGENCY_SIGNS,
    critical: true,
  },
  sign('bladder', 'ce.bladder', { critical: true }),
  sign('bowel', 'ce.bowel', { critical: true }),
  sign('saddle', 'ce.saddle_numbness', { critical: true }),
  sign('sexual', 'ce.sexual', { critical: true }),
  sign('both_legs', 'ce.bilateral_sciatica', { yesWhenHeard: ['ce.bilateral_weakness'], critical: true }),
  { id: 'urgent', phase: 'screen', kind: 'group', expecting: 'yes_no', members: URGENT_SIGNS },
  {
    id: 'urgent_which',
    phase: 'screen',
    kind: 'which',
    expecting: 'choice',
    members: URGENT_SIGNS,
    options: URGENT_SIGNS,
  },
  sign('leg_weakness', 'neuro.weakness_one_leg', { yesWhenHeard: ['neuro.foot_drop'] }),
  sign('fever', 'systemic.fever'),
  sign('injury', 'trauma.major'),
  sign('cancer', 'history.cancer'),
  sign('weight_loss', 'weight_loss'),
  sign('infection', 'infection.risk'),
  sign('numbness', 'neuro.numbness', { yesWhenHeard: ['neuro.walking'], conditional: true }),
  { id: 'location', phase: 'details', kind: 'detail', expecting: 'choice', options: LOCATION_OPTIONS },
  { id: 'duration', phase: 'details', kind: 'detail', expecting: 'duration', options: DURATION_OPTIONS },
  // No options: typing "2" must mean a score of 2, not the second option.
  { id: 'severity', phase: 'details', kind: 'detail', expecting: 'pain_score' },
  { id: 'worse', phase: 'details', kind: 'detail', expecting: 'choice', options: WORSE_OPTIONS },
  { id: 'age', phase: 'details', kind: 'detail', expecting: 'age' },
  { id: 'progress', phase: 'details', kind: 'detail', expecting: 'choice', options: PROGRESS_OPTIONS },
];

/** The details, in the order they are asked. */
export const DETAILS: readonly QuestionId[] = QUESTIONS.filter((q) => q.phase === 'details').map((q) => q.id);

const BY_ID = new Map<string, TriageQuestion>(QUESTIONS.map((q) => [q.id, q]));

export function questionById(id: string): TriageQuestion | undefined {
  return BY_ID.get(id);
}

/** The signals that count as a yes to a question (for a group or which: to any of its members). */
export function signalsOf(q: TriageQuestion): string[] {
  if (q.members) return q.members.flatMap((m) => [...(questionById(m)?.yesWhenHeard ?? [])]);
  return [...(q.yesWhenHeard ?? [])];
}

/** The sign question a signal answers ("systemic.fever" -> fever), if any. */
export function signQuestionOf(signal: string): TriageQuestion | undefined {
  return QUESTIONS.find((q) => q.kind === 'sign' && q.yesWhenHeard?.includes(signal));
}

export const askKey = (id: QuestionId): string => `triage.ask_${id}`;
export const retryKey = (id: QuestionId): string => `triage.ask_${id}.retry`;
export const optionLabelKey = (code: string): string => `option.${code}`;

export const YES_NO_CHOICES: readonly Choice[] = [
  { payload: 'answer:yes', labelKey: 'choice.yes' },
  { payload: 'answer:no', labelKey: 'choice.no' },
  { payload: 'answer:unsure', labelKey: 'choice.unsure' },
];

export const GROUP_CHOICES: readonly Choice[] = [
  { payload: 'answer:no', labelKey: 'choice.none_of_these' },
  { payload: 'answer:yes', labelKey: 'choice.yes_one_or_more' },
  { payload: 'answer:unsure', labelKey: 'choice.unsure' },
];

/** The choices offered with a question. */
export function questionChoices(q: TriageQuestion): Choice[] {
  if (q.kind === 'group') return [...GROUP_CHOICES];
  if (q.expecting === 'yes_no') return [...YES_NO_CHOICES];
  const options = (q.options ?? []).map((code) => ({
    payload: `option:${code}`,
    labelKey: optionLabelKey(code),
  }));
  return q.kind === 'which' ? [...options, { payload: 'answer:unsure', labelKey: 'choice.unsure' }] : options;
}

/** What an answer means: a code for the record (never free text) and the signals it sets. */
export interface Interpretation {
  code: string;
  signals: string[];
}

/** What the rest of the triage already knows, for answers that depend on earlier ones. */
export interface AnswerContext {
  answers: Readonly<Record<string, string>>;
  /** Floor of intent confidence for a yes/no/unsure intent to count. */
  minConfidence: number;
}

const WEEK = 7;
const OVER_SIX_WEEKS = 6 * WEEK;

function optionCode(nlu: Understanding): string | undefined {
  return nlu.choice?.startsWith('option:') ? nlu.choice.slice('option:'.length) : undefined;
}

type YesNo = 'yes' | 'no' | 'unsure';

/** yes/no/unsure from a clicked choice or a confident intent. */
export function yesNoOf(nlu: Understanding, minConfidence: number): YesNo | undefined {
  if (nlu.choice === 'answer:yes') return 'yes';
  if (nlu.choice === 'answer:no') return 'no';
  if (nlu.choice === 'answer:unsure') return 'unsure';
  if (nlu.choice) return undefined;
  if (nlu.confidence < minConfidence) return undefined;
  if (nlu.intent === 'affirm') return 'yes';
  if (nlu.intent === 'deny') return 'no';
  if (nlu.intent === 'unsure') return 'unsure';
  return undefined;
}

const isAsking = (nlu: Understanding) => nlu.intent === 'question' || nlu.intent === 'tell_me_more';

function interpretYesNo(
  q: TriageQuestion,
  nlu: Understanding,
  ctx: AnswerContext,
): Interpretation | undefined {
  const heard = nlu.signals.filter((s) => q.yesWhenHeard?.includes(s));
  if (heard.length > 0) return { code: 'yes', signals: heard };
  const yn = yesNoOf(nlu, ctx.minConfidence);
  if (yn === 'yes') return { code: 'yes', signals: q.yesSignal ? [q.yesSignal] : [] };
  if (yn === 'no') return { code: 'no', signals: [] };
  // The sign itself named, not denied and not narrowed away ("it leaks sometimes"): safety first, a yes.
  if (
    yn === undefined &&
    !nlu.only &&
    !isAsking(nlu) &&
    nlu.mentions?.some((m) => q.yesWhenHeard?.includes(m))
  )
    return { code: 'yes', signals: q.yesSignal ? [q.yesSignal] : [] };
  // "Not sure" is not an answer yet: the question is asked again in other words.
  return undefined;
}

/**
 * The members a message says yes to: signs heard; with `named`, also signs it names (answering
 * "which of these?"). To a "do any of these apply?" a named sign is not a yes by itself: people
 * name a sign to say it is not there ("just pins and needles in one leg").
 */
function membersSaidYes(q: TriageQuestion, nlu: Understanding, named: boolean): TriageQuestion[] {
  const members = (q.members ?? []).map((m) => questionById(m)!);
  return members.filter(
    (m) =>
      nlu.signals.some((s) => m.yesWhenHeard?.includes(s)) ||
      (named && !isAsking(nlu) && nlu.mentions?.some((s) => m.yesWhenHeard?.includes(s))),
  );
}

const yesSignals = (members: readonly TriageQuestion[], nlu: Understanding) =>
  members.flatMap((m) => {
    const heard = nlu.signals.filter((s) => m.yesWhenHeard?.includes(s));
    return heard.length > 0 ? heard : m.yesSignal ? [m.yesSignal] : [];
  });

/**
 * "Do any of these apply?" A sign heard wins; "none of those", "no", or "only the tingling in one
 * leg" (narrowed to something else) is a no; a plain yes is "yes, one or more"; "not sure" is an
 * answer too: the signs are then asked one at a time.
 */
function interpretGroup(
  q: TriageQuestion,
  nlu: Understanding,
  ctx: AnswerContext,
): Interpretation | undefined {
  const yn = yesNoOf(nlu, ctx.minConfidence);
  const said = membersSaidYes(q, nlu, false);
  if (said.length > 0) return { code: 'yes', signals: yesSignals(said, nlu) };
  if (yn === 'yes') return { code: 'yes', signals: [] };
  if (yn === 'no') return { code: 'no', signals: [] };
  if (yn === 'unsure') return { code: 'unsure', signals: [] };
  if (nlu.only && !isAsking(nlu)) return { code: 'no', signals: [] };
  return undefined;
}

/** "Which of these?" The options picked or named (the code lists them); "not sure" asks one at a time. */
function interpretWhich(
  q: TriageQuestion,
  nlu: Understanding,
  ctx: AnswerContext,
): Interpretation | undefined {
  const picked = optionCode(nlu);
  const members = (q.members ?? []).map((m) => questionById(m)!);
  const chosen = members.filter((m) => m.id === picked);
  const said = chosen.length > 0 ? chosen : membersSaidYes(q, nlu, true);
  if (said.length > 0) return { code: said.map((m) => m.id).join('+'), signals: yesSignals(said, nlu) };
  const yn = yesNoOf(nlu, ctx.minConfidence);
  if (yn === 'unsure' || yn === 'no') return { code: 'unsure', signals: [] };
  return undefined;
}

const LOCATION_CODES: ReadonlySet<string> = new Set(LOCATION_OPTIONS);

function interpretLocation(nlu: Understanding): Interpretation | undefined {
  const codes = new Set<string>();
  const picked = optionCode(nlu);
  if (picked && LOCATION_CODES.has(picked)) codes.add(picked);
  for (const loc of nlu.entities.locations ?? [])
    if (LOCATION_CODES.has(loc satisfies BodyLocation)) codes.add(loc);
  if (nlu.signals.includes('pain.thoracic')) codes.add('upper_back');
  if (codes.size === 0) return undefined;
  const ordered = LOCATION_OPTIONS.filter((c) => codes.has(c));
  return { code: ordered.join('+'), signals: codes.has('upper_back') ? ['pain.thoracic'] : [] };
}

/** Duration codes, with the number of days each one stands for (its lower bound). */
const DURATION_DAYS: Record<(typeof DURATION_OPTIONS)[number], number> = {
  under_2_weeks: 0,
  '2_to_6_weeks': 2 * WEEK,
  '6_to_12_weeks': OVER_SIX_WEEKS + 1,
  over_12_weeks: 12 * WEEK + 1,
};

export function durationCode(days: number): (typeof DURATION_OPTIONS)[number] {
  if (days < 2 * WEEK) return 'under_2_weeks';
  if (days <= OVER_SIX_WEEKS) return '2_to_6_weeks';
  if (days <= 12 * WEEK) return '6_to_12_weeks';
  return 'over_12_weeks';
}

function interpretDuration(nlu: Understanding): Interpretation | undefined {
  const picked = optionCode(nlu);
  let days: number | undefined;
  if (picked && picked in DURATION_DAYS) days = DURATION_DAYS[picked as keyof typeof DURATION_DAYS];
  else if (typeof nlu.entities.durationDays === 'number' && nlu.entities.durationDays >= 0)
    days = nlu.entities.durationDays;
  if (days === undefined || !Number.isFinite(days)) return undefined;
  return { code: durationCode(days), signals: days > OVER_SIX_WEEKS ? ['duration.over_6_weeks'] : [] };
}

function interpretSeverity(nlu: Understanding): Interpretation | undefined {
  if (nlu.signals.includes('pain.unbearable') || optionCode(nlu) === 'cant_cope') {
    return { code: 'unbearable', signals: ['pain.unbearable'] };
  }
  const score = nlu.entities.painScore;
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 10) return undefined;
  if (score >= 10) return { code: 'unbearable', signals: ['pain.unbearable'] };
  const code = score <= 3 ? 'mild' : score <= 6 ? 'moderate' : 'severe';
  return { code, signals: [] };
}

const WORSE_SIGNALS: Partial<Record<(typeof WORSE_OPTIONS)[number], string>> = {
  night_rest: 'pain.night',
  cough_sneeze: 'pain.cough',
};

function interpretWorse(nlu: Understanding, ctx: AnswerContext): Interpretation | undefined {
  const picked = optionCode(nlu);
  if (picked && (WORSE_OPTIONS as readonly string[]).includes(picked)) {
    const signal = WORSE_SIGNALS[picked as keyof typeof WORSE_SIGNALS];
    return { code: picked, signals: signal ? [signal] : [] };
  }
  if (nlu.signals.includes('pain.night')) return { code: 'night_rest', signals: ['pain.night'] };
  if (nlu.signals.includes('pain.cough')) return { code: 'cough_sneeze', signals: ['pain.cough'] };
  if (yesNoOf(nlu, ctx.minConfidence) === 'no') return { code: 'nothing', signals: [] };
  return undefined;
}

function interpretAge(nlu: Understanding): Interpretation | undefined {
  const age = nlu.entities.age;
  if (typeof age !== 'number' || !Number.isFinite(age) || age < 0 || age > 120) return undefined;
  if (age < 16) return { code: 'under_16', signals: ['age.under_20', 'child'] };
  if (age < 20) return { code: '16_to_19', signals: ['age.under_20'] };
  if (age < 60) return { code: '20_to_59', signals: [] };
  return { code: '60_plus', signals: ['age.over_60'] };
}

function interpretProgress(nlu: Understanding, ctx: AnswerContext): Interpretation | undefined {
  let code = optionCode(nlu);
  if (!code || !([...PROGRESS_OPTIONS, 'tried'] as readonly string[]).includes(code)) {
    const yn = yesNoOf(nlu, ctx.minConfidence);
    code = yn === 'yes' ? 'better' : yn === 'no' ? 'same' : undefined;
  }
  if (!code) return undefined;
  if (code === 'worse') return { code, signals: ['sciatica.not_improving'] };
  if (code === 'tried') {
    // They named what they tried but not whether it helps. Conservative care comes first for
    // 6-8 weeks (shared/clinical.md section 3): past 6 weeks, or with an unknown duration, count
    // it as not improving, so the level can only move up.
    const duration = ctx.answers.duration;
    const early = duration === 'under_2_weeks' || duration === '2_to_6_weeks';
    return { code, signals: early ? [] : ['sciatica.not_improving'] };
  }
  if (code === 'same') {
    // "Not better after a few weeks of self-care" (shared/clinical.md section 2): two weeks or
    // more; an unknown or unclear duration counts as long, so the level moves up, never down.
    const duration = ctx.answers.duration;
    const short = duration === 'under_2_weeks';
    return { code, signals: short ? [] : ['sciatica.not_improving'] };
  }
  return { code, signals: [] };
}

/** The answer to `q` in this message, or undefined when it cannot be told. */
export function interpretAnswer(
  q: TriageQuestion,
  nlu: Understanding,
  ctx: AnswerContext,
): Interpretation | undefined {
  switch (q.id) {
    case 'location':
      return interpretLocation(nlu);
    case 'duration':
      return interpretDuration(nlu);
    case 'severity':
      return interpretSeverity(nlu);
    case 'worse':
      return interpretWorse(nlu, ctx);
    case 'age':
      return interpretAge(nlu);
    case 'progress':
      return interpretProgress(nlu, ctx);
    default:
      if (q.kind === 'group') return interpretGroup(q, nlu, ctx);
      if (q.kind === 'which') return interpretWhich(q, nlu, ctx);
      return interpretYesNo(q, nlu, ctx);
  }
}

/** Keys the questions can say, and the labels of their options. */
export function questionMessageKeys(): string[] {
  const keys: string[] = [];
  for (const q of QUESTIONS) {
    keys.push(askKey(q.id), retryKey(q.id));
    for (const c of questionChoices(q)) keys.push(c.labelKey);
  }
  return [...new Set(keys)];
}
