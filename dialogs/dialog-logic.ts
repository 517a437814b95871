/**
 * The conversation's decisions as pure functions: how a message is routed, which category an
 * idle-state message falls in, which knowledge entry answers it, and the replies ("plans") each
 * step says. The machine (conversation.machine.ts) wires these into states, guards and actions.
 * No wording: replies are message keys.
 */
import {
  assess,
  higherLevel,
  isClinicalSignal,
  isRedFlagLevel,
  redFlagHits,
  type TriageTable,
} from './triage-rules.js';
import { K } from './message-keys.js';
import {
  DETAILS,
  EMERGENCY_SIGNS,
  QUESTIONS,
  UNCLEAR,
  URGENT_SIGNS,
  askKey,
  interpretAnswer,
  questionById,
  questionChoices,
  retryKey,
  signQuestionOf,
  signalsOf,
  yesNoOf,
  type Interpretation,
  type QuestionId,
  type TriageQuestion,
} from './questions.js';
import {
  LEVEL_ORDER,
  INTENTS,
  type Aspect,
  type Choice,
  type Disposition,
  type Intent,
  type Level,
  type RedFlagHit,
  type Reply,
  type TopicMatch,
  type TurnOutcome,
  type Understanding,
} from './types.js';

export type HandoffReason = NonNullable<TurnOutcome['handoff']>['reason'];

/** A yes/no offer the last reply made, so a plain "yes" accepts it. */
export type Offer = 'booking' | 'start_triage' | `handoff:${HandoffReason}`;

/** The machine's context: codes only, no text (it is persisted every turn). */
export interface DialogContext {
  welcomed: boolean;
  /** Time of the last event (ms), for the idle resume. */
  lastAt?: number;
  /** This turn comes after a gap longer than idleMinutes. */
  resumed: boolean;
  /** The knowledge entry of the last answer, for follow-ups. */
  topic?: string;
  /** Clinical signals heard so far (from messages and triage answers). */
  signals: string[];
  /** Triage answers: question id -> answer code. */
  answers: Record<string, string>;
  /** How many times the current triage question was asked again. */
  retries: number;
  /** Not-understood messages in a row. */
  misses: number;
  /** The highest level told to the patient so far (red flag or disposition). */
  announced?: Level;
  /** The highest level told about someone else the patient wrote about ("my husband can't ..."). */
  announcedOther?: Level;
  disposition?: Disposition;
  offer?: Offer;
  /** Choices offered with the last reply (for the NLU to match "2" or a label). */
  offered: Choice[];
  /** Others can read this chat (a group chat or channel). */
  shared?: boolean;
  /** Call back: why the patient asked for a person, while the name and number are asked. */
  handoffReason?: HandoffReason;
  /** Call back: the name and number given so far. Cleared when the handoff states are left. */
  contact?: Contact;
  /** Whether the clinic is open now and when it next opens, as the host last said. */
  clinicNow?: ClinicNow;
}

export function initialContext(): DialogContext {
  return { welcomed: false, resumed: false, signals: [], answers: {}, retries: 0, misses: 0, offered: [] };
}

export interface Thresholds {
  /** Topic confidence to answer without asking. */
  answer: number;
  /** Minimum lead of the top topic over the second to answer without "did you mean". */
  margin: number;
  /** Lowest topic confidence worth suggesting. */
  suggest: number;
  /** Among close candidates, the best is answered (with the others offered) from this confidence. */
  answerWithAlternatives: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  answer: 0.6,
  margin: 0.1,
  suggest: 0.35,
  answerWithAlternatives: 0.45,
};
export const DEFAULT_IDLE_MINUTES = 30;

/** The dependencies, with defaults filled in. */
export interface Settings {
  triage: TriageTable;
  catalogue: Record<string, { sections: Aspect[]; related: string[] }>;
  aspectFallback: Partial<Record<Aspect, string>>;
  thresholds: Thresholds;
  idleMs: number;
}

/** Events the machine raises to itself after reading a user.message (or user.joined). */
export type TurnEvent =
  | { type: 'turn.welcome'; menu: boolean }
  | { type: 'turn.idleReturn' }
  | { type: 'turn.rejoined' }
  | {
      type: 'turn.redFlag';
      level: Level;
      ruleIds: string[];
      nlu: Understanding;
      /** Whose sign: the patient's, or someone else's they wrote about. */
      about: 'self' | 'other';
    }
  | { type: 'turn.restart' }
  | { type: 'turn.help' }
  | { type: 'turn.stop' }
  | { type: 'turn.goodbye' }
  | { type: 'turn.handoff'; reason: HandoffReason }
  | { type: 'turn.forget' }
  | { type: 'turn.book' }
  | { type: 'turn.cancel' }
  | {
      type: 'turn.startTriage';
      /** Why: asked for (a button, "check my symptoms"), a symptom report, or an urgent sign to screen first. */
      how?: StartReason;
      /** The message that started it: what it already says is taken as answered. */
      nlu?: Understanding;
    }
  /** The symptom check moves on: to the next question, or to the disposition. */
  | { type: 'turn.next' }
  | { type: 'turn.message'; nlu: Understanding };

export type StartReason = 'request' | 'report' | 'urgent';

/** What a step says and records. */
export interface Plan {
  replies: Reply[];
  outcome?: Partial<TurnOutcome>;
  patch?: Partial<DialogContext>;
  /** The yes/no offer the replies make (cleared when absent). */
  offer?: Offer;
}

// ---------------------------------------------------------------------------------------------
// Levels

const rank = (level: Level): number => LEVEL_ORDER.indexOf(level);
/** Whether `a` is more urgent than `b` (undefined = nothing announced). */
export const isMoreUrgent = (a: Level, b: Level | undefined): boolean => b === undefined || rank(a) < rank(b);
/** One step up the ladder: C->S->U->E, E stays E. */
export const stepUp = (level: Level): Level => LEVEL_ORDER[Math.max(0, rank(level) - 1)]!;
const maxLevel = (a: Level | undefined, b: Level): Level => (a === undefined ? b : higherLevel(a, b));

// ---------------------------------------------------------------------------------------------
// Reading a message

const INTENT_SET: ReadonlySet<string> = new Set<string>(INTENTS);

/** A picked choice decides what the message means: its payload is certain. */
export function readChoice(nlu: Understanding): Understanding {
  const choice = nlu.choice;
  if (!choice) return nlu;
  const at = choice.indexOf(':');
  const kind = at < 0 ? choice : choice.slice(0, at);
  const value = at < 0 ? '' : choice.slice(at + 1);
  switch (kind) {
    case 'intent':
      return INTENT_SET.has(value) ? { ...nlu, intent: value as Intent, confidence: 1 } : nlu;
    case 'answer': {
      const intent: Intent | undefined =
        value === 'yes' ? 'affirm' : value === 'no' ? 'deny' : value === 'unsure' ? 'unsure' : undefined;
      return intent ? { ...nlu, intent, confidence: 1 } : nlu;
    }
    case 'topic':
      return value
        ? {
            ...nlu,
            intent: 'question',
            confidence: 1,
            topics: [{ id: value, confidence: 1 }],
            aspect: undefined,
          }
        : nlu;
    case 'open':
      return value === 'booking' ? { ...nlu, intent: 'book_appointment', confidence: 1 } : nlu;
    default:
      return nlu;
  }
}

const COMMANDS: Partial<Record<Intent, TurnEvent['type']>> = {
  restart: 'turn.restart',
  help: 'turn.help',
  stop: 'turn.stop',
  goodbye: 'turn.goodbye',
  handoff: 'turn.handoff',
  forget_me: 'turn.forget',
  book_appointment: 'turn.book',
  cancel_appointment: 'turn.cancel',
  start_triage: 'turn.startTriage',
};

/** Messages that are only an opening: on the first message, the welcome answers them. */
const OPENINGS: ReadonlySet<Intent> = new Set<Intent>([
  'greeting',
  'thanks',
  'help',
  'empty',
  'unknown',
  'affirm',
  'deny',
  'unsure',
]);

function isBareOpening(nlu: Understanding): boolean {
  return !nlu.choice && OPENINGS.has(nlu.intent) && nlu.signals.length === 0;
}

/**
 * A red flag: the triage table applied once, here, to the patient's signals so far plus this
 * message's. It fires when this message makes a rule fire that did not before, at E or U, more
 * urgent than anything told so far. Someone else's signs ("my husband can't pee") are assessed on
 * their own and escalate for that person.
 */
export function newRedFlag(
  ctx: DialogContext,
  nlu: Understanding,
  s: Settings,
): Extract<TurnEvent, { type: 'turn.redFlag' }> | undefined {
  const own = redFlagHits(ctx.signals, nlu.signals, s.triage);
  const theirs = redFlagHits([], nlu.otherSignals ?? [], s.triage);
  const flag = (hits: RedFlagHit[], about: 'self' | 'other', told: Level | undefined) => {
    if (hits.length === 0) return undefined;
    const level = hits.map((h) => h.level).reduce(higherLevel);
    if (!isMoreUrgent(level, told)) return undefined;
    const ruleIds = [...new Set(hits.filter((h) => h.level === level).map((h) => h.ruleId))];
    return { type: 'turn.redFlag' as const, level, ruleIds, nlu, about };
  };
  const mine = flag(own, 'self', ctx.announced);
  const other = flag(theirs, 'other', ctx.announcedOther);
  if (mine && other) return isMoreUrgent(other.level, mine.level) ? other : mine;
  return mine ?? other;
}

function handoffReason(ctx: DialogContext): HandoffReason {
  return ctx.offer?.startsWith('handoff:')
    ? (ctx.offer.slice('handoff:'.length) as HandoffReason)
    : 'requested';
}

const HARMLESS_COMMANDS: ReadonlySet<Intent> = new Set<Intent>(['help']);

/** The events one message raises, in order: welcome, idle return, then a red flag, a command, or the message. */
export function routeMessage(ctx: DialogContext, raw: Understanding, s: Settings): TurnEvent[] {
  const nlu = readChoice(raw);
  const events: TurnEvent[] = [];
  if (!ctx.welcomed) events.push({ type: 'turn.welcome', menu: isBareOpening(nlu) });
  const flag = newRedFlag(ctx, nlu, s);
  if (flag) return [...events, flag];
  if (ctx.resumed) events.push({ type: 'turn.idleReturn' });
  if (!ctx.welcomed && isBareOpening(nlu)) return events;
  const command = COMMANDS[nlu.intent];
  // "What can you do?" costs nothing if misread: it is taken from a lower confidence.
  const needed = HARMLESS_COMMANDS.has(nlu.intent)
    ? s.thresholds.answerWithAlternatives
    : s.thresholds.answer;
  if (command && nlu.confidence >= needed) {
    events.push(
      command === 'turn.handoff'
        ? { type: command, reason: handoffReason(ctx) }
        : command === 'turn.startTriage'
          ? { type: command, how: 'request', nlu }
          : ({ type: command } as TurnEvent),
    );
  } else {
    events.push({ type: 'turn.message', nlu });
  }
  return events;
}

/** The events a user.joined raises: the welcome, or a welcome back. */
export function routeJoined(ctx: DialogContext): TurnEvent[] {
  return ctx.welcomed
    ? [{ type: 'turn.idleReturn' }, { type: 'turn.rejoined' }]
    : [{ type: 'turn.welcome', menu: true }];
}

/** The context changes every message brings: time, idle gap, the signals heard. */
export function noteTurn(
  ctx: DialogContext,
  now: number,
  signals: readonly string[],
  s: Settings,
): Partial<DialogContext> {
  const resumed = ctx.welcomed && ctx.lastAt !== undefined && now - ctx.lastAt > s.idleMs;
  const heard = signals.filter((x) => isClinicalSignal(x) && !ctx.signals.includes(x));
  return {
    lastAt: now,
    resumed,
    ...(heard.length > 0 ? { signals: [...ctx.signals, ...new Set(heard)] } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Knowledge answers

/** The knowledge entry (and section) that answers a message, and the topic to keep. */
export interface AnswerTarget {
  entry: string;
  section?: Aspect;
  topic: string;
}

function rankedTopics(nlu: Understanding, s: Settings): TopicMatch[] {
  return nlu.topics
    .filter((t) => Object.hasOwn(s.catalogue, t.id) && Number.isFinite(t.confidence))
    .sort((a, b) => b.confidence - a.confidence);
}

/** The section of `topic` for `aspect`, else the general entry for that aspect. */
export function resolveAspect(
  topic: string | undefined,
  aspect: Aspect,
  s: Settings,
): AnswerTarget | undefined {
  if (topic && s.catalogue[topic]?.sections.includes(aspect)) return { entry: topic, section: aspect, topic };
  const general = s.aspectFallback[aspect];
  if (general && Object.hasOwn(s.catalogue, general)) return { entry: general, topic: topic ?? general };
  return undefined;
}

const isQuestionLike = (nlu: Understanding) => nlu.intent === 'question' || nlu.intent === 'tell_me_more';

/** A follow-up about the current topic ("how is it treated?"), or an aspect asked with no topic. */
export function followUpTarget(
  ctx: DialogContext,
  nlu: Understanding,
  s: Settings,
): AnswerTarget | undefined {
  if (!isQuestionLike(nlu) || !nlu.aspect || nlu.aspect === 'more') return undefined;
  const top = rankedTopics(nlu, s)[0];
  const aboutCurrent = !top || top.id === ctx.topic || top.confidence < s.thresholds.answer;
  return aboutCurrent ? resolveAspect(ctx.topic, nlu.aspect, s) : undefined;
}

/** "Tell me more" (or a question whose aspect is `more` with no other topic). */
export function isTellMeMore(nlu: Understanding, s: Settings): boolean {
  if (nlu.intent === 'tell_me_more' && (!nlu.aspect || nlu.aspect === 'more')) {
    const top = rankedTopics(nlu, s)[0];
    return !top || top.confidence < s.thresholds.answer;
  }
  return nlu.intent === 'question' && nlu.aspect === 'more' && rankedTopics(nlu, s).length === 0;
}

/** A question whose best topic is clear enough to answer. */
export function confidentTarget(nlu: Understanding, s: Settings): AnswerTarget | undefined {
  if (!isQuestionLike(nlu)) return undefined;
  const [top, second] = rankedTopics(nlu, s);
  if (!top || top.confidence < s.thresholds.answer) return undefined;
  if (second && top.confidence - second.confidence < s.thresholds.margin) return undefined;
  // A question (not "tell me more") may be answered by an entry's More section: the passage that holds the fact.
  const aspect = nlu.aspect && (nlu.aspect !== 'more' || nlu.intent === 'question') ? nlu.aspect : undefined;
  const sectioned = aspect && s.catalogue[top.id]?.sections.includes(aspect);
  if (aspect && !sectioned) return resolveAspect(top.id, aspect, s) ?? { entry: top.id, topic: top.id };
  return { entry: top.id, ...(aspect && sectioned ? { section: aspect } : {}), topic: top.id };
}

/** Any entry this message can be answered with, confidently (used mid-triage too). */
export function answerTarget(ctx: DialogContext, nlu: Understanding, s: Settings): AnswerTarget | undefined {
  return followUpTarget(ctx, nlu, s) ?? confidentTarget(nlu, s);
}

/** Topics worth a "did you mean" (close to each other, or not quite confident). */
export function didYouMeanTopics(nlu: Understanding, s: Settings): string[] {
  if (!isQuestionLike(nlu)) return [];
  const ids = rankedTopics(nlu, s)
    .filter((t) => t.confidence >= s.thresholds.suggest)
    .slice(0, 3)
    .map((t) => t.id);
  // "Did you mean" needs two real candidates: a menu of one is no question.
  return ids.length >= 2 ? ids : [];
}

// ---------------------------------------------------------------------------------------------
// What an idle-state message is

export type IdleCategory =
  | 'acceptOffer'
  | 'declineOffer'
  | 'askPrompt'
  | 'followUp'
  | 'tellMore'
  | 'answer'
  | 'didYouMean'
  | 'notSure'
  | 'outOfScope'
  | 'greeting'
  | 'thanks'
  | 'noOffer'
  | 'empty'
  | 'notUnderstood'
  | 'reassured';

/**
 * A statement that talks about a warning sign and reports none ("my bladder's fine", "no numbness
 * anywhere"): acknowledged, never met with "I can't help with that".
 */
function isReassurance(nlu: Understanding): boolean {
  return (nlu.mentions?.length ?? 0) > 0 && nlu.signals.length === 0 && !nlu.report?.question;
}

export function idleCategory(ctx: DialogContext, nlu: Understanding, s: Settings): IdleCategory {
  switch (nlu.intent) {
    case 'affirm':
      return ctx.offer ? 'acceptOffer' : 'noOffer';
    case 'deny':
      return ctx.offer ? 'declineOffer' : 'noOffer';
    case 'unsure':
      return 'noOffer';
    case 'greeting':
      return 'greeting';
    case 'thanks':
      return 'thanks';
    case 'out_of_scope':
      return isReassurance(nlu) ? 'reassured' : 'outOfScope';
    case 'empty':
      return 'empty';
    case 'question':
    case 'tell_me_more':
      if (nlu.choice === 'intent:question') return 'askPrompt';
      if (isTellMeMore(nlu, s)) return 'tellMore';
      if (followUpTarget(ctx, nlu, s)) return 'followUp';
      if (confidentTarget(nlu, s)) return 'answer';
      if (didYouMeanTopics(nlu, s).length > 0) return 'didYouMean';
      return 'notSure';
    default:
      return nlu.intent === 'unknown' && isReassurance(nlu) ? 'reassured' : 'notUnderstood';
  }
}

/** Categories that count as "not understood" for the offer of a person after two in a row. */
export const MISSES: ReadonlySet<IdleCategory> = new Set<IdleCategory>(['notSure', 'empty', 'notUnderstood']);

// ---------------------------------------------------------------------------------------------
// Plans: what each step says

const choice = (payload: string, labelKey: string): Choice => ({ payload, labelKey });
const topicChoice = (id: string): Choice => choice(`topic:${id}`, `kb.title.${id}`);
const HANDOFF = choice('intent:handoff', K.choiceFrontDesk);
const BOOKING_LINK = choice('open:booking', K.choiceOpenBooking);

export function menuChoices(ctx: DialogContext): Choice[] {
  return [
    // After an emergency, the symptom check is not offered: the advice is to get help now.
    ...(ctx.announced === 'E' ? [] : [choice('intent:start_triage', K.choiceCheckSymptoms)]),
    choice('intent:question', K.choiceAskQuestion),
    choice('intent:book_appointment', K.choiceBook),
    HANDOFF,
  ];
}

/** Put choices on the last reply (the host numbers one reply's choices, so only one may carry them). */
function withChoices(replies: Reply[], choices: Choice[]): Reply[] {
  if (choices.length === 0 || replies.length === 0) return replies;
  const last = replies[replies.length - 1]!;
  return [...replies.slice(0, -1), { ...last, choices }];
}

export function welcomePlan(ctx: DialogContext, menu: boolean): Plan {
  const replies: Reply[] = [{ key: K.welcomeIntro }, { key: K.welcomeEmergency }, { key: K.welcomePrivacy }];
  if (menu) replies.push({ key: K.welcomeMenu, choices: menuChoices(ctx) });
  return { replies, patch: { welcomed: true } };
}

export const simplePlan = (key: string, choices: Choice[] = [], patch?: Partial<DialogContext>): Plan => ({
  replies: [{ key, ...(choices.length ? { choices } : {}) }],
  ...(patch ? { patch } : {}),
});

export function relatedTopics(entry: string, s: Settings, exclude: readonly string[] = []): string[] {
  return (s.catalogue[entry]?.related ?? [])
    .filter((id) => Object.hasOwn(s.catalogue, id) && id !== entry && !exclude.includes(id))
    .slice(0, 3);
}

export function answerPlan(target: AnswerTarget, s: Settings, withRelated = true, nlu?: Understanding): Plan {
  if (nlu?.qualifier && !nlu.qualifierThenAnswer) return qualifierPlan(target, nlu.qualifier);
  const slots: Record<string, string> = {
    entry: target.entry,
    ...(target.section ? { section: target.section } : {}),
  };
  const replies: Reply[] = [
    ...(nlu?.qualifier ? [{ key: `${K.qualifierPrefix}${nlu.qualifier}` }] : []),
    ...(nlu?.partial && !nlu.qualifier ? [{ key: K.partialAnswer }] : []),
    { key: K.answer, slots },
  ];
  // A second question in the same message gets its own short answer.
  const also = nlu?.also;
  if (
    also &&
    Object.hasOwn(s.catalogue, also.topic) &&
    (also.topic !== target.entry || also.aspect !== target.section)
  )
    replies.push({
      key: K.answer,
      slots: {
        entry: also.topic,
        ...(also.aspect && s.catalogue[also.topic]!.sections.includes(also.aspect)
          ? { section: also.aspect }
          : {}),
      },
    });
  const related = withRelated ? relatedTopics(target.entry, s, [target.topic]).map(topicChoice) : [];
  return {
    replies: withChoices(replies, related),
    outcome: { answered: { topic: target.entry, ...(target.section ? { aspect: target.section } : {}) } },
    patch: { topic: target.topic, misses: 0 },
  };
}

/** A question the knowledge cannot answer for this person: say so honestly, and who can. */
export function qualifierPlan(target: AnswerTarget, qualifier: string): Plan {
  return {
    replies: [
      {
        key: `${K.qualifierPrefix}${qualifier}`,
        choices: [HANDOFF, choice('intent:question', K.choiceAskQuestion)],
      },
    ],
    outcome: { qualified: { topic: target.entry, qualifier } },
    patch: { topic: target.topic, misses: 0 },
    offer: 'handoff:out_of_scope',
  };
}

export function tellMorePlan(ctx: DialogContext, s: Settings): Plan {
  const topic = ctx.topic;
  if (!topic || !Object.hasOwn(s.catalogue, topic))
    return simplePlan(K.noTopic, menuChoices(ctx), { misses: 0 });
  if (s.catalogue[topic]!.sections.includes('more'))
    return answerPlan({ entry: topic, section: 'more', topic }, s);
  const related = relatedTopics(topic, s).map(topicChoice);
  return simplePlan(K.noMore, related.length ? related : menuChoices(ctx), { misses: 0 });
}

/**
 * Close candidates: when the best is still fairly likely, answer it and offer the others ("or did you
 * mean"); a patient reads an answer more readily than a menu. Otherwise, the menu.
 */
export function didYouMeanPlan(nlu: Understanding, s: Settings): Plan {
  const ids = didYouMeanTopics(nlu, s);
  const [top] = rankedTopics(nlu, s);
  if (top && ids[0] === top.id && top.confidence >= s.thresholds.answerWithAlternatives) {
    const aspect = nlu.aspect && s.catalogue[top.id]?.sections.includes(nlu.aspect) ? nlu.aspect : undefined;
    const plan = answerPlan(
      { entry: top.id, ...(aspect ? { section: aspect } : {}), topic: top.id },
      s,
      false,
      nlu,
    );
    const others = ids.slice(1).map(topicChoice);
    const replies = [...plan.replies, { key: K.orDidYouMean, choices: others }];
    return { ...plan, replies, outcome: { ...plan.outcome, didYouMean: ids.slice(1) } };
  }
  return { ...simplePlan(K.didYouMean, ids.map(topicChoice), { misses: 0 }), outcome: { didYouMean: ids } };
}

export function missPlan(ctx: DialogContext, category: IdleCategory): Plan {
  if (ctx.misses >= 1) {
    return {
      ...simplePlan(K.offerPerson, [HANDOFF, ...menuChoices(ctx).filter((c) => c !== HANDOFF)], {
        misses: 0,
      }),
      offer: 'handoff:not_understood',
    };
  }
  const patch = { misses: ctx.misses + 1 };
  if (category === 'notSure')
    return {
      ...simplePlan(K.notSure, [HANDOFF, choice('intent:question', K.choiceAskQuestion)], patch),
      offer: 'handoff:not_understood',
    };
  return simplePlan(category === 'empty' ? K.empty : K.notUnderstood, menuChoices(ctx), patch);
}

export function outOfScopePlan(nlu?: Understanding): Plan {
  // A part the knowledge never answers, asked on its own ("can you give me a fit note?"): say who can.
  if (nlu?.qualifier && !nlu.qualifierThenAnswer)
    return {
      ...simplePlan(
        `${K.qualifierPrefix}${nlu.qualifier}`,
        [HANDOFF, choice('intent:question', K.choiceAskQuestion)],
        {
          misses: 0,
        },
      ),
      outcome: { outOfScope: true },
      offer: 'handoff:out_of_scope',
    };
  return {
    ...simplePlan(K.outOfScope, [HANDOFF, choice('intent:question', K.choiceAskQuestion)], { misses: 0 }),
    outcome: { outOfScope: true },
    offer: 'handoff:out_of_scope',
  };
}

export function bookingPlan(ctx: DialogContext): Plan {
  const replies: Reply[] = [];
  // After an emergency, booking is no substitute for getting help now: say so first.
  if (ctx.announced === 'E') replies.push({ key: K.escalateReminder });
  replies.push({ key: K.bookingInfo, choices: [BOOKING_LINK] });
  return { replies, outcome: { bookingOffered: true }, patch: { misses: 0 } };
}

export function handoffPlan(ctx: DialogContext, reason: HandoffReason): Plan {
  return {
    replies: [{ key: K.handoffInfo }],
    outcome: {
      handoff: {
        reason,
        ...(ctx.disposition ? { disposition: ctx.disposition } : {}),
        answers: { ...ctx.answers },
      },
    },
    patch: { misses: 0 },
  };
}

/** "Forget me": nothing of the conversation stays (optional fields are cleared explicitly: assign merges). */
export function forgetPatch(): Partial<DialogContext> {
  return {
    ...initialContext(),
    lastAt: undefined,
    topic: undefined,
    announced: undefined,
    disposition: undefined,
  };
}

/** Restart: forget the conversation so far, but keep what keeps the patient safe (signals, the level told). */
export function restartPatch(ctx: DialogContext): Partial<DialogContext> {
  const fresh = initialContext();
  return {
    ...fresh,
    welcomed: ctx.welcomed,
    lastAt: ctx.lastAt,
    signals: ctx.signals,
    announced: ctx.announced,
    topic: undefined,
    disposition: undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Triage questions

/** first: asked; retry: in other words; resume: after a long gap; continue: after an aside; noted: after news about another sign. */
export type AskMode = 'first' | 'retry' | 'resume' | 'continue' | 'noted';

export function askPlan(ctx: DialogContext, id: QuestionId, mode: AskMode, s?: Settings): Plan {
  const q = questionById(id)!;
  const choices = questionChoices(q);
  const ask = (key: string, extra: Choice[] = []): Reply => {
    const all = [...choices, ...extra];
    return all.length > 0 ? { key, choices: all } : { key };
  };
  switch (mode) {
    case 'first':
      return { replies: [ask(askKey(id))], patch: { retries: 0 } };
    case 'retry':
      return { replies: [ask(retryKey(id))], patch: { retries: ctx.retries + 1 } };
    case 'resume': {
      // Numeric answers (score, age) get no numbered choice: typing "1" must stay an answer.
      const startAgain = choices.length > 0 ? [choice('intent:start_triage', K.choiceStartAgain)] : [];
      return { replies: [{ key: K.triageResume }, ask(askKey(id), startAgain)] };
    }
    case 'continue':
      return { replies: [{ key: K.triageContinue }, ask(askKey(id))] };
    case 'noted': {
      // News of an urgent sign is told at once (be seen today), like a check opened by one, so a
      // patient who leaves now still knows; the screen for emergency signs goes on.
      const level = s ? assess(ctx.signals, s.triage).level : undefined;
      if (level === 'U' && ctx.announced === undefined) {
        return { replies: [{ key: K.triageNotedUrgent }, ask(askKey(id))], patch: { announced: 'U' } };
      }
      return { replies: [{ key: K.triageNoted }, ask(askKey(id))] };
    }
  }
}

const START_KEYS: Record<StartReason, string> = {
  request: K.triageStart,
  report: K.triageStartReport,
  urgent: K.triageStartUrgent,
};

/**
 * The one line that opens the check (consent is implied by asking, or by describing symptoms;
 * "stop" and "not now" end it). An urgent sign that opened it is told at once, so a patient who
 * leaves mid-screen still knows to be seen today; the screen for emergency signs comes first.
 */
export function startPlan(ctx: DialogContext, how: StartReason): Plan {
  return {
    replies: [{ key: START_KEYS[how] }],
    patch: how === 'urgent' ? { announced: maxLevel(ctx.announced, 'U') } : {},
  };
}

/** Clearing a symptom check before it starts (signals stay: they are what the patient said). */
export const triageStartPatch = (): Partial<DialogContext> => ({
  answers: {},
  retries: 0,
  misses: 0,
  disposition: undefined,
});

/** Intents that are never a symptom report, whatever words they carry ("thanks, my back is better"). */
const NOT_A_REPORT: ReadonlySet<Intent> = new Set<Intent>(['thanks', 'goodbye', 'affirm', 'deny', 'unsure']);

/**
 * A message that describes the patient's own symptoms, or asks what to do about them, starts the
 * check. A question about symptoms that does not ask what to do ("is it normal for my sciatica to
 * ...?") goes the usual way: answered, or "did you mean".
 */
export function isSymptomReport(nlu: Understanding): boolean {
  const r = nlu.report;
  if (!r || r.subject !== 'self' || nlu.choice || NOT_A_REPORT.has(nlu.intent)) return false;
  return r.request || !r.question;
}

/** An urgent sign of the patient's own, outside the check: screen for emergency signs first. */
export function isUrgentToScreen(ctx: DialogContext, event: TurnEvent): boolean {
  return (
    event.type === 'turn.redFlag' &&
    event.level === 'U' &&
    event.about === 'self' &&
    ctx.shared !== true &&
    ctx.announced !== 'E'
  );
}

/** Whether the check knows the answer: asked, or a sign it stands for was heard. */
export function isAnswered(ctx: DialogContext, id: QuestionId): boolean {
  if (ctx.answers[id] !== undefined) return true;
  return !!questionById(id)?.yesWhenHeard?.some((x) => ctx.signals.includes(x));
}

function saidYes(ctx: DialogContext, id: QuestionId): boolean {
  return ctx.answers[id] === 'yes' || !!questionById(id)?.yesWhenHeard?.some((x) => ctx.signals.includes(x));
}

/** Whether a yes to this sign question would raise the level of what is known now. */
function couldRaise(ctx: DialogContext, id: QuestionId, s: Settings): boolean {
  const signal = questionById(id)?.yesSignal;
  if (!signal) return false;
  const now = assess(ctx.signals, s.triage).level;
  return isMoreUrgent(assess([...ctx.signals, signal], s.triage).level, now);
}

/**
 * The next question of the check, or undefined when it is done. The screen first, every warning
 * sign asked: the emergency signs as one question ("do any of these apply?"), one at a time only
 * when the patient is not sure; then the urgent signs the same way, narrowed down on a yes, and
 * any sign left that could still raise the level (a fever makes a weak leg an emergency). An
 * urgent level is settled only after the emergency screen; then the check ends (urgent advice
 * needs no details). Otherwise the details, skipping what the patient already said.
 */
export function nextTriageQuestion(ctx: DialogContext, s: Settings): QuestionId | undefined {
  const open = (ids: readonly QuestionId[]) => ids.filter((id) => !isAnswered(ctx, id));
  const emergency = open(EMERGENCY_SIGNS);
  if (emergency.length > 0) {
    const group = ctx.answers.emergency;
    if (group === undefined) return emergency.length > 1 ? 'emergency' : emergency[0];
    if (group !== 'yes' && group !== 'no') return emergency[0];
  }
  const urgent = open(URGENT_SIGNS);
  if (urgent.length > 0) {
    const group = ctx.answers.urgent;
    if (group === undefined) return urgent.length > 1 ? 'urgent' : urgent[0];
    if (group !== 'no') {
      const anyYes = URGENT_SIGNS.some((id) => saidYes(ctx, id));
      if (group === 'yes' && !anyYes && ctx.answers.urgent_which === undefined) return 'urgent_which';
      const next = urgent.find((id) => !anyYes || couldRaise(ctx, id, s));
      if (next) return next;
    }
  }
  const conditional = QUESTIONS.find(
    (q) => q.conditional && !isAnswered(ctx, q.id) && couldRaise(ctx, q.id, s),
  );
  if (conditional) return conditional.id;
  if (isRedFlagLevel(decide(ctx, s).level)) return undefined;
  return DETAILS.find((id) => !isAnswered(ctx, id));
}

/** The check stops at once: an emergency is known (from an answer, a sign, or a yes to the emergency signs). */
export function isEmergencyNow(ctx: DialogContext, s: Settings): boolean {
  return decide(ctx, s).level === 'E';
}

const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];

/**
 * Record an answer. A group's "none of these" answers each of its signs; a sign heard or named
 * in a group or "which" answer answers that sign.
 */
export function answerPatch(
  ctx: DialogContext,
  q: TriageQuestion,
  answer: Interpretation,
): Partial<DialogContext> {
  const answers: Record<string, string> = { ...ctx.answers, [q.id]: answer.code };
  const signals = union(ctx.signals, answer.signals);
  for (const id of q.members ?? []) {
    if (answers[id] !== undefined) continue;
    const member = questionById(id)!;
    if (member.yesWhenHeard?.some((x) => signals.includes(x))) answers[id] = 'yes';
    else if (q.kind === 'group' && answer.code === 'no') answers[id] = 'no';
  }
  return { answers, signals };
}

function mentionsOtherSigns(q: TriageQuestion, nlu: Understanding): string[] {
  const relevant = new Set(signalsOf(q));
  return (nlu.mentions ?? []).filter((m) => !relevant.has(m) && signQuestionOf(m) !== undefined);
}

/**
 * A reply about a different sign than the one asked ("no fever" to the weakness question): not an
 * answer to it. A missed yes here would be a missed emergency, so the question is asked again.
 */
export function isAboutOtherSign(q: TriageQuestion, nlu: Understanding): boolean {
  if (q.phase !== 'screen' || q.kind === 'which' || nlu.choice || nlu.listRef) return false;
  if (nlu.intent === 'question' || nlu.intent === 'tell_me_more') return false;
  if (q.kind === 'group' && nlu.only) return false;
  const relevant = new Set(signalsOf(q));
  if (nlu.signals.some((x) => relevant.has(x))) return false;
  if ((nlu.mentions ?? []).some((m) => relevant.has(m))) return false;
  return mentionsOtherSigns(q, nlu).length > 0;
}

/** What a reply says about other signs than the one asked, taken as their answers ("no fever" -> fever: no). */
export function otherSignsPatch(
  ctx: DialogContext,
  q: TriageQuestion,
  nlu: Understanding,
  s: Settings,
): Partial<DialogContext> {
  const yn = yesNoOf(nlu, s.thresholds.suggest);
  if (yn !== 'yes' && yn !== 'no') return {};
  const answers = { ...ctx.answers };
  let signals = ctx.signals;
  for (const m of mentionsOtherSigns(q, nlu)) {
    const other = signQuestionOf(m)!;
    if (isAnswered({ ...ctx, answers, signals }, other.id)) continue;
    answers[other.id] = yn;
    if (yn === 'yes' && other.yesSignal) signals = union(signals, [other.yesSignal]);
  }
  return { answers, signals };
}

const TREND_OPTION = { better: 'option:better', same: 'option:same', worse: 'option:worse' } as const;

/**
 * What the opening message already said, taken as answered: where, how long, how bad, age, and
 * better or worse. Warning signs it named count through their signals; none is taken as a no.
 */
export function prefillPatch(
  ctx: DialogContext,
  nlu: Understanding | undefined,
  s: Settings,
): Partial<DialogContext> {
  if (!nlu) return {};
  let answers = { ...ctx.answers };
  let signals = ctx.signals;
  const read = (id: QuestionId, message: Understanding) => {
    if (answers[id] !== undefined) return;
    const answer = interpretAnswer(questionById(id)!, message, {
      answers,
      minConfidence: s.thresholds.suggest,
    });
    if (!answer) return;
    answers = { ...answers, [id]: answer.code };
    signals = union(signals, answer.signals);
  };
  const plain = { ...nlu, choice: undefined, intent: 'unknown' as const };
  for (const id of ['location', 'duration', 'severity', 'age'] as const) read(id, plain);
  const trend = nlu.report?.trend;
  if (trend) read('progress', { ...plain, choice: TREND_OPTION[trend] });
  return { answers, signals };
}

// ---------------------------------------------------------------------------------------------
// Dispositions

export interface Decision {
  level: Level;
  ruleIds: string[];
  reasons: string[];
  version: string;
}

export const UNCLEAR_RULE = 'policy.unclear_answer';
export const UNCLEAR_RED_FLAG_RULE = 'policy.unclear_red_flag_answer';
export const EMERGENCY_SCREEN_RULE = 'policy.emergency_screen_yes';

/**
 * The level for the signals so far, moved up for unclear answers (shared/clinical.md section 1:
 * up, never down): one step for any unclear answer, and at least U when a cauda equina question
 * stayed unclear.
 */
export function decide(ctx: DialogContext, s: Settings): Decision {
  const a = assess(ctx.signals, s.triage);
  let level = a.level;
  const ruleIds = [...a.ruleIds];
  const reasons = [...a.reasons];
  // "Yes, one or more" to the emergency signs is an emergency, whichever sign it was.
  if (ctx.answers.emergency === 'yes' && level !== 'E') {
    level = 'E';
    ruleIds.splice(0, ruleIds.length, EMERGENCY_SCREEN_RULE);
    reasons.splice(0, reasons.length, K.reasonEmergencyScreen);
  }
  const unclear = Object.keys(ctx.answers).filter((q) => ctx.answers[q] === UNCLEAR);
  if (unclear.length > 0 && level !== 'E') {
    level = stepUp(level);
    ruleIds.push(UNCLEAR_RULE);
    reasons.push(K.reasonUnclear);
  }
  if (unclear.some((q) => questionById(q)?.critical) && isMoreUrgent('U', level)) {
    level = 'U';
    ruleIds.push(UNCLEAR_RED_FLAG_RULE);
    reasons.push(K.reasonUnclearRedFlag);
  }
  return { level, ruleIds, reasons, version: a.version };
}

const HEADLINE: Record<Level, string> = {
  E: K.dispositionE,
  U: K.dispositionU,
  S: K.dispositionS,
  C: K.dispositionC,
};

function reasonReplies(reasons: readonly string[]): Reply[] {
  return reasons.length === 0 ? [] : [{ key: K.because }, ...reasons.map((key) => ({ key }))];
}

function safetyNet(level: Level): Reply[] {
  if (level === 'E') return [];
  const replies: Reply[] = [{ key: K.safetyIntro }, { key: K.safetyEmergencySigns }];
  if (level !== 'U') replies.push({ key: K.safetyUrgentSigns }, { key: K.safetyReview });
  return replies;
}

function dispositionTopics(ctx: DialogContext, level: Level, s: Settings): string[] {
  const general: Partial<Record<Level, Aspect[]>> = {
    S: ['diagnosis', 'treatment', 'outlook'],
    C: ['treatment', 'outlook', 'prevention'],
  };
  const ids = [ctx.topic, ...(general[level] ?? []).map((a) => s.aspectFallback[a])];
  return [...new Set(ids.filter((id): id is string => !!id && Object.hasOwn(s.catalogue, id)))].slice(0, 3);
}

/** The end of a symptom check (or its early stop on a red-flag answer). */
export function dispositionPlan(ctx: DialogContext, s: Settings): Plan {
  const d = decide(ctx, s);
  const disposition: Disposition = { level: d.level, ruleIds: d.ruleIds, version: d.version, via: 'triage' };
  const replies: Reply[] = [{ key: HEADLINE[d.level] }, ...reasonReplies(d.reasons)];
  if (d.level === 'C') replies.push({ key: K.selfCareAdvice });
  replies.push(...safetyNet(d.level));
  const patch: Partial<DialogContext> = {
    disposition,
    announced: maxLevel(ctx.announced, d.level),
    retries: 0,
    misses: 0,
  };
  if (d.level === 'E') {
    return {
      replies: withChoices(replies, [HANDOFF]),
      outcome: { disposition },
      patch,
      offer: 'handoff:triage',
    };
  }
  const choices =
    d.level === 'U'
      ? [HANDOFF, BOOKING_LINK]
      : [BOOKING_LINK, ...dispositionTopics(ctx, d.level, s).map(topicChoice)];
  replies.push({ key: K.nextSteps, choices });
  return { replies, outcome: { disposition, bookingOffered: true }, patch, offer: 'booking' };
}

/** A red flag heard at any moment: escalate at once (for someone else: about them, in the third person). */
export function escalationPlan(
  ctx: DialogContext,
  level: Level,
  ruleIds: string[],
  s: Settings,
  about: 'self' | 'other' = 'self',
): Plan {
  if (about === 'other') {
    const disposition: Disposition = {
      level,
      ruleIds,
      version: s.triage.version,
      via: 'red_flag',
      subject: 'other',
    };
    const choices = level === 'E' ? [HANDOFF] : [HANDOFF, BOOKING_LINK];
    return {
      replies: [{ key: level === 'E' ? K.escalateEmergencyOther : K.escalateUrgentOther, choices }],
      outcome: { disposition, ...(level === 'E' ? {} : { bookingOffered: true }) },
      patch: { announcedOther: maxLevel(ctx.announcedOther, level), retries: 0, misses: 0 },
      offer: 'handoff:triage',
    };
  }
  const disposition: Disposition = { level, ruleIds, version: s.triage.version, via: 'red_flag' };
  let reasons = ruleIds
    .map((id) => s.triage.rules.find((r) => r.id === id)?.reason)
    .filter((r): r is string => typeof r === 'string');
  if (reasons.length === 0) {
    const a = assess(ctx.signals, s.triage);
    if (a.level === level) reasons = a.reasons;
  }
  const replies: Reply[] = [
    { key: level === 'E' ? K.escalateEmergency : K.escalateUrgent },
    ...reasonReplies([...new Set(reasons)]),
    ...safetyNet(level),
  ];
  const choices = level === 'E' ? [HANDOFF] : [HANDOFF, BOOKING_LINK];
  return {
    replies: withChoices(replies, choices),
    outcome: { disposition, ...(level === 'E' ? {} : { bookingOffered: true }) },
    patch: { disposition, announced: maxLevel(ctx.announced, level), retries: 0, misses: 0 },
    offer: 'handoff:triage',
  };
}

// ---------------------------------------------------------------------------------------------
// Call back: "talk to a person" asks, with consent, for a name and a number

/** Read from the patient's message by the host, only while the dialog asks for them. */
export interface Contact {
  name?: string;
  phone?: string;
}

/** From the clinic's opening hours at the time of the message (the host decides, the machine says). */
export interface ClinicNow {
  open: boolean;
  /** When it next opens, for the reply's {day} and {time} slots. */
  day?: string;
  time?: string;
}

const CALLBACK_CHOICES = [choice('answer:yes', K.choiceCallMe), choice('answer:no', K.choiceNoCallback)];

function clinicNowReplies(ctx: DialogContext): Reply[] {
  const now = ctx.clinicNow;
  if (!now) return [];
  if (now.open) return [{ key: K.handoffOpenNow }];
  return [{ key: K.handoffClosedNow, slots: { day: now.day ?? '', time: now.time ?? '' } }];
}

/** "Talk to a person" with call backs on: the front desk's details, open or closed now, and the offer. */
export function callbackOfferPlan(ctx: DialogContext, reason: HandoffReason): Plan {
  return {
    replies: [
      { key: K.handoffInfo },
      ...clinicNowReplies(ctx),
      { key: K.callbackOffer, choices: CALLBACK_CHOICES },
    ],
    patch: { handoffReason: reason, contact: undefined, retries: 0, misses: 0 },
  };
}

export function callbackAskPlan(ctx: DialogContext, field: 'name' | 'phone', retry: boolean): Plan {
  const key =
    field === 'name'
      ? retry
        ? K.callbackAskNameRetry
        : K.callbackAskName
      : retry
        ? K.callbackAskPhoneRetry
        : K.callbackAskPhone;
  return { replies: [{ key }], patch: { retries: retry ? ctx.retries + 1 : 0 } };
}

/** The handoff outcome with or without call-back details (the host sends it to the clinic). */
function callbackOutcome(ctx: DialogContext, callback?: Required<Contact>): Partial<TurnOutcome> {
  const plan = handoffPlan(ctx, ctx.handoffReason ?? 'requested');
  return {
    handoff: {
      ...plan.outcome!.handoff!,
      ...(callback ? { callback } : {}),
      ...(ctx.clinicNow ? { clinicOpen: ctx.clinicNow.open } : {}),
    },
  };
}

/**
 * Leaving the call-back states, whichever way: with a name and a number, the handoff goes out with
 * them and the patient hears when to expect the call; in every case the details leave the context.
 */
export function leaveCallbackPlan(ctx: DialogContext): Plan {
  // The reason stays for a transition that runs after this exit (noCallbackPlan); it is a code.
  const clear: Partial<DialogContext> = { contact: undefined, retries: 0 };
  const { name, phone } = ctx.contact ?? {};
  if (!name || !phone) return { replies: [], patch: clear };
  const now = ctx.clinicNow;
  const confirm: Reply =
    now && !now.open
      ? { key: K.callbackConfirmClosed, slots: { day: now.day ?? '', time: now.time ?? '' } }
      : { key: K.callbackConfirmOpen };
  return {
    replies: [confirm],
    outcome: callbackOutcome(ctx, { name, phone }),
    patch: { ...clear, handoffReason: undefined },
  };
}

/** No call back (declined, or the name or number could not be read twice): the handoff goes out without one. */
export function noCallbackPlan(ctx: DialogContext, failed: boolean): Plan {
  return {
    replies: [{ key: failed ? K.callbackFailed : K.callbackDeclined, choices: menuChoices(ctx) }],
    outcome: callbackOutcome(ctx),
    patch: { handoffReason: undefined, contact: undefined },
  };
}
