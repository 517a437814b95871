/**
 * The conversation: one XState v5 machine that drives every chat, fed by the understanding
 * layer's verdict. It answers from the knowledge base, keeps the topic for follow-ups, runs the
 * symptom check (red-flag screen first, then details, then a disposition), escalates red flags
 * at any moment, books and hands off.
 *
 * How a turn works: the host's event (user.joined / user.message) is handled at the root, which
 * notes the time and signals and raises one or more `turn.*` events: the welcome, a welcome back,
 * then a red flag, a command (restart, help, stop, handoff, forget me, booking, symptom check) or
 * the message itself. Red flags and commands are raised as their own events so they win in every
 * state; each state handles `turn.message` its own way. Everything the bot says is a `say` action
 * whose params are a Reply (a message key); `report` actions carry the turn's outcome. The pure
 * transition() returns them as data; dialogs/step.ts collects them. No I/O, no timers, no wording.
 */
import { enqueueActions, setup } from 'xstate';
import type { TriageTable } from './triage-rules.js';
import {
  DEFAULT_IDLE_MINUTES,
  DEFAULT_THRESHOLDS,
  MISSES,
  answerPlan,
  answerPatch,
  answerTarget,
  askPlan,
  bookingPlan,
  callbackAskPlan,
  callbackOfferPlan,
  confidentTarget,
  didYouMeanPlan,
  dispositionPlan,
  escalationPlan,
  followUpTarget,
  forgetPatch,
  handoffPlan,
  idleCategory,
  initialContext,
  isAboutOtherSign,
  isEmergencyNow,
  isSymptomReport,
  isUrgentToScreen,
  leaveCallbackPlan,
  menuChoices,
  missPlan,
  nextTriageQuestion,
  noCallbackPlan,
  noteTurn,
  otherSignsPatch,
  outOfScopePlan,
  prefillPatch,
  restartPatch,
  routeJoined,
  routeMessage,
  simplePlan,
  startPlan,
  tellMorePlan,
  triageStartPatch,
  welcomePlan,
  type AskMode,
  type ClinicNow,
  type Contact,
  type DialogContext,
  type IdleCategory,
  type Plan,
  type Settings,
  type Thresholds,
  type TurnEvent,
} from './dialog-logic.js';
import { K } from './message-keys.js';
import { QUESTIONS, UNCLEAR, interpretAnswer, questionById, type QuestionId } from './questions.js';
import type { Aspect, Reply, TurnOutcome, Understanding } from './types.js';

export { DIALOG_MESSAGE_KEYS } from './message-keys.js';
export type { DialogContext } from './dialog-logic.js';

export const DIALOG_MACHINE_ID = 'dialog';
/** Bump when states or context change shape: stored conversations then restart politely. */
export const DIALOG_MACHINE_VERSION = 2;

export interface DialogDeps {
  triage: TriageTable;
  /** Per knowledge entry: which follow-up sections it has and its related entries (plain data from knowledge/). */
  catalogue: Record<string, { sections: Aspect[]; related: string[] }>;
  /** General entry per aspect when the current topic lacks that section. */
  aspectFallback: Partial<Record<Aspect, string>>;
  thresholds?: Partial<Thresholds>;
  idleMinutes?: number;
  /** "Talk to a person" offers a call back and asks a name and a number (the host can deliver them). */
  callback?: boolean;
}

/** What the host sends: the user joined, or wrote (the NLU's verdict; time comes on the event). */
/** `shared`: the chat has other people in it (a Teams group chat or channel). */
export type DialogEvent =
  | { type: 'user.joined'; now: number; shared?: boolean }
  | {
      type: 'user.message';
      nlu: Understanding;
      now: number;
      shared?: boolean;
      /** The name or number the host read from the message, only while a call back asks for it. */
      contact?: Contact;
      /** The clinic open or closed now (the host reads the opening hours at `now`). */
      clinic?: ClinicNow;
    };

export type MachineEvent = DialogEvent | TurnEvent;

/** The subset of xstate's `enqueue` a plan needs. */
interface Enqueue {
  (action: { type: 'say'; params: Reply } | { type: 'report'; params: Partial<TurnOutcome> }): void;
  assign(patch: Partial<DialogContext>): void;
  raise(event: MachineEvent): void;
}

/** Say a plan's replies, report its outcome, apply its context patch and remember what it offered. */
function emit(enqueue: Enqueue, plan: Plan): void {
  for (const reply of plan.replies) enqueue({ type: 'say', params: reply });
  if (plan.outcome) enqueue({ type: 'report', params: plan.outcome });
  const offered = [...plan.replies].reverse().find((r) => r.choices?.length)?.choices ?? [];
  enqueue.assign({ ...plan.patch, offered, offer: plan.offer });
}

/** enqueueActions with its type parameters fixed, so setup() can infer every action's params. */
function act<P extends Record<string, unknown> | undefined = undefined>(
  collect: (args: { context: DialogContext; event: MachineEvent; enqueue: Enqueue }, params: P) => void,
) {
  return enqueueActions<DialogContext, MachineEvent, P, MachineEvent, never, never, never, never, never>(
    ({ context, event, enqueue: q }, params) =>
      collect({ context, event, enqueue: q as unknown as Enqueue }, params),
  );
}

/** A named action that says a plan built from the context and the event. */
function say(build: (context: DialogContext, event: MachineEvent) => Plan) {
  return act(({ context, event, enqueue }) => emit(enqueue, build(context, event)));
}

const nluOf = (event: MachineEvent): Understanding | undefined =>
  event.type === 'turn.message' ? event.nlu : undefined;
const NO_PLAN: Plan = { replies: [] };

type QuestionParams = { q: QuestionId };
type AskParams = { q: QuestionId; mode: AskMode };

export function resolveSettings(deps: DialogDeps): Settings {
  return {
    triage: deps.triage,
    catalogue: deps.catalogue,
    aspectFallback: deps.aspectFallback,
    thresholds: {
      ...DEFAULT_THRESHOLDS,
      ...Object.fromEntries(Object.entries(deps.thresholds ?? {}).filter(([, v]) => typeof v === 'number')),
    },
    idleMs: (deps.idleMinutes ?? DEFAULT_IDLE_MINUTES) * 60_000,
  };
}

export function createConversationMachine(deps: DialogDeps) {
  const s = resolveSettings(deps);
  const answerContext = (context: DialogContext) => ({
    answers: context.answers,
    minConfidence: s.thresholds.suggest,
  });
  const interpret = (context: DialogContext, event: MachineEvent, q: QuestionId) => {
    const nlu = nluOf(event);
    return nlu ? interpretAnswer(questionById(q)!, nlu, answerContext(context)) : undefined;
  };
  const category = (context: DialogContext, event: MachineEvent): IdleCategory | undefined => {
    const nlu = nluOf(event);
    return nlu ? idleCategory(context, nlu, s) : undefined;
  };
  const is =
    (wanted: IdleCategory) =>
    ({ context, event }: { context: DialogContext; event: MachineEvent }) =>
      category(context, event) === wanted;

  const setupped = setup({
    types: {
      context: {} as DialogContext,
      events: {} as MachineEvent,
    },
    actions: {
      /** Say one reply (collected by step(); the host renders it). */
      say: (_: unknown, _params: Reply) => undefined,
      /** Record part of the turn's outcome (collected by step()). */
      report: (_: unknown, _params: Partial<TurnOutcome>) => undefined,

      noteTurn: act(({ context, event, enqueue }) => {
        if (event.type !== 'user.joined' && event.type !== 'user.message') return;
        const signals = event.type === 'user.message' ? event.nlu.signals : [];
        enqueue.assign({
          ...noteTurn(context, event.now, signals, s),
          ...(event.shared !== undefined ? { shared: event.shared } : {}),
        });
      }),
      /**
       * Note the message (time, signs heard) and route it. The red flag is decided on the signs
       * heard before this message plus this message's, so it is judged against what came before.
       */
      noteAndRouteMessage: act(({ context, event, enqueue }) => {
        if (event.type !== 'user.message') return;
        const patch = {
          ...noteTurn(context, event.now, event.nlu.signals, s),
          ...(event.shared !== undefined ? { shared: event.shared } : {}),
        };
        const events = routeMessage({ ...context, ...patch, signals: context.signals }, event.nlu, s);
        enqueue.assign(patch);
        for (const e of events) enqueue.raise(e);
      }),
      routeJoined: act(({ context, enqueue }) => {
        for (const e of routeJoined(context)) enqueue.raise(e);
      }),
      /** An urgent flag mid-screen: handle the message as the answer to the current question. */
      reraiseAsMessage: act(({ event, enqueue }) => {
        if (event.type === 'turn.redFlag') enqueue.raise({ type: 'turn.message', nlu: event.nlu });
      }),
      /** Call back: keep what the host read (the name or number) and whether the clinic is open. */
      noteCallback: act(({ context, event, enqueue }) => {
        if (event.type !== 'user.message') return;
        if (event.clinic) enqueue.assign({ clinicNow: event.clinic });
        if (event.contact) enqueue.assign({ contact: { ...context.contact, ...event.contact } });
      }),
      offerCallback: say((context, event) =>
        callbackOfferPlan(context, event.type === 'turn.handoff' ? event.reason : 'requested'),
      ),
      askCallback: act(
        ({ context, enqueue }, { field, retry }: { field: 'name' | 'phone'; retry: boolean }) =>
          emit(enqueue, callbackAskPlan(context, field, retry)),
      ),
      leaveCallback: say((context) => leaveCallbackPlan(context)),
      declineCallback: say((context) => noCallbackPlan(context, false)),
      failCallback: say((context) => noCallbackPlan(context, true)),
      /** Something else than yes or no to the offer: the handoff goes out without a call back, quietly. */
      skipCallback: act(({ context, enqueue }) => {
        const plan = noCallbackPlan(context, false);
        emit(enqueue, { ...plan, replies: [] });
      }),
      /** Chatting in a state that has ended: pick the conversation up again. */
      reraise: act(({ event, enqueue }) => {
        if (event.type === 'turn.message') enqueue.raise(event);
      }),

      welcome: say((context, event) =>
        welcomePlan(context, event.type === 'turn.welcome' ? event.menu : true),
      ),
      sayWelcomeBack: say(() => simplePlan(K.welcomeBack)),
      showMenu: say((context) => simplePlan(K.menu, menuChoices(context))),
      escalate: say((context, event) =>
        event.type === 'turn.redFlag'
          ? escalationPlan(context, event.level, event.ruleIds, s, event.about)
          : NO_PLAN,
      ),
      restart: say((context) => ({
        replies: [{ key: K.restarted, choices: menuChoices(context) }],
        patch: restartPatch(context),
      })),
      help: say((context) => simplePlan(K.help, menuChoices(context), { misses: 0 })),
      helpInTriage: say(() => simplePlan(K.help)),
      stop: say(() => simplePlan(K.stopped)),
      goodbye: say(() => simplePlan(K.goodbye)),
      handoff: say((context, event) =>
        handoffPlan(context, event.type === 'turn.handoff' ? event.reason : 'requested'),
      ),
      forget: say(() => ({
        replies: [{ key: K.forgotten }],
        outcome: { forget: true },
        patch: forgetPatch(),
      })),
      book: say((context) => bookingPlan(context)),
      cancelBooking: say(() => simplePlan(K.bookingCancel)),
      declineSharedTriage: say(() =>
        simplePlan(K.triagePrivateOnly, [
          { payload: 'intent:handoff', labelKey: K.choiceFrontDesk },
          { payload: 'open:booking', labelKey: K.choiceOpenBooking },
        ]),
      ),
      remindEmergency: say(() =>
        simplePlan(K.triageAfterEmergency, [{ payload: 'intent:handoff', labelKey: K.choiceFrontDesk }]),
      ),

      // Idle: answering and small talk
      acceptOffer: act(({ context, enqueue }) => {
        const offer = context.offer;
        if (offer === 'booking') enqueue.raise({ type: 'turn.book' });
        else if (offer === 'start_triage') enqueue.raise({ type: 'turn.startTriage' });
        else if (offer?.startsWith('handoff:'))
          enqueue.raise({ type: 'turn.handoff', reason: offer.slice('handoff:'.length) as never });
      }),
      declineOffer: say((context) => simplePlan(K.offerDeclined, menuChoices(context), { misses: 0 })),
      promptQuestion: say(() => simplePlan(K.askPrompt, [], { misses: 0 })),
      tellMore: say((context) => tellMorePlan(context, s)),
      answerFollowUp: say((context, event) => {
        const nlu = nluOf(event);
        const target = nlu && followUpTarget(context, nlu, s);
        return target ? answerPlan(target, s, true, nlu) : NO_PLAN;
      }),
      answerTopic: say((_context, event) => {
        const nlu = nluOf(event);
        const target = nlu && confidentTarget(nlu, s);
        return target ? answerPlan(target, s, true, nlu) : NO_PLAN;
      }),
      offerDidYouMean: say((_context, event) => {
        const nlu = nluOf(event);
        return nlu ? didYouMeanPlan(nlu, s) : NO_PLAN;
      }),
      sayOutOfScope: say((_context, event) => outOfScopePlan(nluOf(event))),
      acknowledgeReassurance: say((context) => simplePlan(K.reassured, menuChoices(context), { misses: 0 })),
      greet: say((context) => simplePlan(K.greeting, menuChoices(context), { misses: 0 })),
      sayThanks: say((context) => simplePlan(K.thanks, menuChoices(context), { misses: 0 })),
      sayNotUnderstood: say((context, event) =>
        missPlan(context, category(context, event) ?? 'notUnderstood'),
      ),
      offerPerson: say((context) =>
        missPlan({ ...context, misses: Math.max(1, context.misses) }, 'notUnderstood'),
      ),

      // Symptom check
      clearTriage: act(({ enqueue }) => enqueue.assign(triageStartPatch())),
      /** Open the check: take what the message said as answered, and say one line. */
      beginCheck: act(({ context, event, enqueue }) => {
        if (event.type !== 'turn.startTriage') return;
        const cleared = { ...context, ...triageStartPatch() };
        enqueue.assign({ ...triageStartPatch(), ...prefillPatch(cleared, event.nlu, s) });
        emit(enqueue, startPlan(context, event.how ?? 'request'));
      }),
      /**
       * A symptom report in the hub: the check starts with consent implied. When the report also
       * names something the knowledge base answers confidently, that answer comes first.
       */
      startFromReport: act(({ context, event, enqueue }) => {
        const nlu = nluOf(event);
        if (!nlu) return;
        const target = answerTarget(context, nlu, s);
        if (target) emit(enqueue, answerPlan(target, s, false, nlu));
        enqueue.raise({ type: 'turn.startTriage', how: 'report', nlu });
      }),
      /** An urgent sign of the patient's own: the emergency signs are screened first. */
      startFromUrgentSign: act(({ event, enqueue }) => {
        if (event.type === 'turn.redFlag')
          enqueue.raise({ type: 'turn.startTriage', how: 'urgent', nlu: event.nlu });
      }),
      next: act(({ enqueue }) => enqueue.raise({ type: 'turn.next' })),
      askQuestion: act(({ context, enqueue }, { q, mode }: AskParams) =>
        emit(enqueue, askPlan(context, q, mode, s)),
      ),
      answerMidTriage: say((context, event) => {
        const nlu = nluOf(event);
        const target = nlu && answerTarget(context, nlu, s);
        return target ? answerPlan(target, s, false, nlu) : NO_PLAN;
      }),
      recordAnswer: act(({ context, event, enqueue }, { q }: QuestionParams) => {
        const nlu = nluOf(event);
        const answer = interpret(context, event, q);
        if (!nlu || !answer) return;
        const question = questionById(q)!;
        const noted = { ...context, ...otherSignsPatch(context, question, nlu, s) };
        enqueue.assign({ ...noted, ...answerPatch(noted, question, answer) });
      }),
      recordOtherSigns: act(({ context, event, enqueue }, { q }: QuestionParams) => {
        const nlu = nluOf(event);
        if (nlu) enqueue.assign(otherSignsPatch(context, questionById(q)!, nlu, s));
      }),
      recordUnclear: act(({ context, enqueue }, { q }: QuestionParams) => {
        // A group not understood twice is asked one sign at a time, not counted as unclear.
        const code = questionById(q)?.kind === 'group' ? 'unsure' : UNCLEAR;
        enqueue.assign({ answers: { ...context.answers, [q]: code } });
      }),
      giveDisposition: say((context) => dispositionPlan(context, s)),
      sayQuestionLater: say(() => simplePlan(K.triageQuestionLater)),
      stopTriage: say((context) => simplePlan(K.triageStopped, menuChoices(context))),
    },
    guards: {
      isCallbackOn: () => deps.callback === true,
      hasName: ({ context }) => !!context.contact?.name,
      hasPhone: ({ context }) => !!context.contact?.phone,
      isEmergencyAnnounced: ({ context }) => context.announced === 'E',
      /** Others can read this chat: no symptom check here, health answers stay private. */
      isSharedChat: ({ context }) => context.shared === true,
      isIdleReturn: ({ context }) => context.resumed,
      isFirstRetry: ({ context }) => context.retries === 0,
      // Idle categories (dialog-logic.ts idleCategory)
      isAcceptingOffer: is('acceptOffer'),
      isDecliningOffer: is('declineOffer'),
      isAskPrompt: is('askPrompt'),
      isTellMeMore: is('tellMore'),
      isFollowUp: is('followUp'),
      isConfidentQuestion: is('answer'),
      isCloseCall: is('didYouMean'),
      isOutOfScope: is('outOfScope'),
      isReassured: is('reassured'),
      isGreeting: is('greeting'),
      isThanks: is('thanks'),
      isNoOffer: is('noOffer'),
      isSecondMiss: ({ context, event }) => {
        const c = category(context, event);
        return c !== undefined && MISSES.has(c) && context.misses >= 1;
      },
      // Symptom check
      isAffirm: ({ event }) => {
        const nlu = nluOf(event);
        return !!nlu && nlu.intent === 'affirm' && nlu.confidence >= s.thresholds.suggest;
      },
      isDeny: ({ event }) => {
        const nlu = nluOf(event);
        return !!nlu && nlu.intent === 'deny' && nlu.confidence >= s.thresholds.suggest;
      },
      /** A knowledge question asked instead of answering: answer it, then ask again. */
      isQuestionNotAnswer: ({ context, event }, params: { q?: QuestionId }) => {
        const nlu = nluOf(event);
        if (!nlu || !answerTarget(context, nlu, s)) return false;
        if (params.q) return interpret(context, event, params.q) === undefined;
        return nlu.intent !== 'affirm' && nlu.intent !== 'deny';
      },
      /** Small talk in the middle of the check: not an answer, but not a failed one either. */
      isSmallTalk: ({ event }) => {
        const nlu = nluOf(event);
        return (
          !!nlu &&
          (nlu.intent === 'greeting' || nlu.intent === 'thanks') &&
          nlu.confidence >= s.thresholds.suggest
        );
      },
      /** A question the bot cannot answer well, asked in the middle of the check (never guessed at). */
      isOpenQuestion: ({ event }) => {
        const nlu = nluOf(event);
        const asks =
          nlu?.intent === 'question' || nlu?.intent === 'tell_me_more' || nlu?.intent === 'out_of_scope';
        return !!nlu && asks && nlu.confidence >= s.thresholds.suggest;
      },
      isAnswer: ({ context, event }, { q }: QuestionParams) => interpret(context, event, q) !== undefined,
      /** "Not now", "maybe later": the check stops (like "stop"). */
      isNotNow: ({ event }) => nluOf(event)?.notNow === true,
      isAboutOtherSign: ({ event }, { q }: QuestionParams) => {
        const nlu = nluOf(event);
        return !!nlu && isAboutOtherSign(questionById(q)!, nlu);
      },
      isSymptomReport: ({ event }) => {
        const nlu = nluOf(event);
        return !!nlu && isSymptomReport(nlu);
      },
      isUrgentToScreen: ({ context, event }) =>
        event.type === 'turn.redFlag' && isUrgentToScreen(context, event),
      /** An urgent sign of the patient's own during the screen: read as this question's answer. */
      isOwnUrgentFlag: ({ event }) =>
        event.type === 'turn.redFlag' && event.level === 'U' && event.about === 'self',
      isEmergencyNow: ({ context }) => isEmergencyNow(context, s),
      isNextQuestion: ({ context }, { q }: QuestionParams) => nextTriageQuestion(context, s) === q,
    },
  });

  const ask = (q: QuestionId, mode: AskMode) => ({ type: 'askQuestion' as const, params: { q, mode } });
  const record = (q: QuestionId, type: 'recordAnswer' | 'recordOtherSigns') => ({
    type,
    params: { q },
  });
  const unclear = (q: QuestionId) => ({ type: 'recordUnclear' as const, params: { q } });

  const questionState = (q: QuestionId) => ({
    entry: [ask(q, 'first')],
    on: {
      'turn.message': [
        { guard: 'isNotNow' as const, target: '#dialog.idle', actions: ['stopTriage' as const] },
        {
          guard: { type: 'isQuestionNotAnswer' as const, params: { q } },
          actions: ['answerMidTriage' as const, ask(q, 'continue')],
        },
        { guard: 'isIdleReturn' as const, actions: [ask(q, 'resume')] },
        {
          guard: { type: 'isAboutOtherSign' as const, params: { q } },
          actions: [record(q, 'recordOtherSigns'), ask(q, 'noted')],
        },
        {
          guard: { type: 'isAnswer' as const, params: { q } },
          actions: [record(q, 'recordAnswer'), 'next' as const],
        },
        { guard: 'isSmallTalk' as const, actions: [ask(q, 'continue')] },
        { guard: 'isOpenQuestion' as const, actions: ['sayQuestionLater' as const, ask(q, 'continue')] },
        { guard: 'isFirstRetry' as const, actions: [ask(q, 'retry')] },
        { actions: [unclear(q), 'next' as const] },
      ],
      // An urgent (U) warning sign typed during the screen does not end it: its signals are
      // already recorded, the message is read as this question's answer, and the level is settled
      // once the emergency signs have been asked (weakness + fever, or + cancer, is E).
      ...(questionById(q)!.phase === 'screen'
        ? { 'turn.redFlag': { guard: 'isOwnUrgentFlag' as const, actions: 'reraiseAsMessage' as const } }
        : {}),
      'turn.help': { actions: ['helpInTriage' as const, ask(q, 'continue')] },
      'turn.book': { actions: ['book' as const, ask(q, 'continue')] },
      'turn.cancel': { actions: ['cancelBooking' as const, ask(q, 'continue')] },
      'turn.rejoined': { actions: [ask(q, 'resume')] },
    },
  });

  return setupped.createMachine({
    id: DIALOG_MACHINE_ID,
    context: initialContext,
    initial: 'start',
    on: {
      'user.joined': { actions: ['noteTurn', 'routeJoined'] },
      'user.message': { actions: ['noteCallback', 'noteAndRouteMessage'] },
      'turn.welcome': { actions: 'welcome' },
      'turn.idleReturn': { actions: 'sayWelcomeBack' },
      'turn.rejoined': { actions: 'showMenu' },
      'turn.redFlag': { target: '#dialog.idle', actions: 'escalate' },
      'turn.restart': { target: '#dialog.idle', actions: 'restart' },
      'turn.help': { target: '#dialog.idle', actions: 'help' },
      'turn.stop': { target: '#dialog.ended', actions: 'stop' },
      'turn.goodbye': { target: '#dialog.ended', actions: 'goodbye' },
      'turn.handoff': [
        { guard: 'isCallbackOn', target: '#dialog.handoff' },
        { target: '#dialog.idle', actions: 'handoff' },
      ],
      'turn.forget': { target: '#dialog.start', actions: 'forget' },
      'turn.book': { target: '#dialog.idle', actions: 'book' },
      'turn.cancel': { target: '#dialog.idle', actions: 'cancelBooking' },
      'turn.startTriage': [
        { guard: 'isEmergencyAnnounced', target: '#dialog.idle', actions: 'remindEmergency' },
        { guard: 'isSharedChat', target: '#dialog.idle', actions: 'declineSharedTriage' },
        { target: '#dialog.triage', actions: 'beginCheck' },
      ],
    },
    states: {
      /** Nobody welcomed yet. */
      start: {
        on: {
          'turn.welcome': { target: 'idle', actions: 'welcome' },
          'turn.message': { target: 'idle', actions: 'reraise' },
        },
      },
      /** The hub: answers questions, offers the symptom check, booking and the front desk. */
      idle: {
        on: {
          'turn.redFlag': { guard: 'isUrgentToScreen', actions: 'startFromUrgentSign' },
          'turn.message': [
            { guard: 'isSymptomReport', actions: 'startFromReport' },
            { guard: 'isAcceptingOffer', actions: 'acceptOffer' },
            { guard: 'isDecliningOffer', actions: 'declineOffer' },
            { guard: 'isAskPrompt', actions: 'promptQuestion' },
            { guard: 'isTellMeMore', actions: 'tellMore' },
            { guard: 'isFollowUp', actions: 'answerFollowUp' },
            { guard: 'isConfidentQuestion', actions: 'answerTopic' },
            { guard: 'isCloseCall', actions: 'offerDidYouMean' },
            { guard: 'isReassured', actions: 'acknowledgeReassurance' },
            { guard: 'isOutOfScope', actions: 'sayOutOfScope' },
            { guard: 'isGreeting', actions: 'greet' },
            { guard: 'isThanks', actions: 'sayThanks' },
            { guard: 'isNoOffer', actions: 'showMenu' },
            { guard: 'isSecondMiss', actions: 'offerPerson' },
            { actions: 'sayNotUnderstood' },
          ],
        },
      },
      /** Stopped or said goodbye; a new message picks the conversation up again. */
      ended: {
        on: {
          'turn.redFlag': { guard: 'isUrgentToScreen', actions: 'startFromUrgentSign' },
          'turn.message': { target: 'idle', actions: 'reraise' },
          'turn.rejoined': { target: 'idle', actions: 'showMenu' },
        },
      },
      /** The symptom check: the warning-sign screen, the details; the disposition on the way out. */
      triage: {
        initial: 'begin',
        on: {
          'turn.startTriage': { target: '.begin', reenter: true, actions: 'beginCheck' },
          'turn.stop': { target: '#dialog.idle', actions: 'stopTriage' },
          'turn.next': [
            { guard: 'isEmergencyNow', target: '#dialog.idle', actions: 'giveDisposition' },
            ...QUESTIONS.map((q) => ({
              guard: { type: 'isNextQuestion' as const, params: { q: q.id } },
              target: `.${q.id}`,
              reenter: true,
            })),
            { target: '#dialog.idle', actions: 'giveDisposition' },
          ],
        },
        states: {
          /** Entered with the check: moves on to the first question not yet answered. */
          begin: { entry: 'next' },
          ...Object.fromEntries(QUESTIONS.map((q) => [q.id, questionState(q.id)])),
        },
      },
      /** "Talk to a person" with call backs on: offer one, then ask a name and a number. */
      handoff: {
        initial: 'offer',
        entry: 'offerCallback',
        // The name and number leave the context whichever way the patient leaves (sent if complete).
        exit: 'leaveCallback',
        states: {
          offer: {
            on: {
              'turn.message': [
                { guard: 'isAffirm', target: 'name' },
                { guard: 'isDeny', target: '#dialog.idle', actions: 'declineCallback' },
                { target: '#dialog.idle', actions: ['skipCallback', 'reraise'] },
              ],
            },
          },
          name: {
            entry: { type: 'askCallback', params: { field: 'name', retry: false } },
            on: {
              'turn.message': [
                { guard: 'isDeny', target: '#dialog.idle', actions: 'declineCallback' },
                { guard: 'hasName', target: 'phone' },
                {
                  guard: 'isFirstRetry',
                  actions: { type: 'askCallback', params: { field: 'name', retry: true } },
                },
                { target: '#dialog.idle', actions: 'failCallback' },
              ],
            },
          },
          phone: {
            entry: { type: 'askCallback', params: { field: 'phone', retry: false } },
            on: {
              'turn.message': [
                { guard: 'isDeny', target: '#dialog.idle', actions: 'declineCallback' },
                { guard: 'hasPhone', target: '#dialog.idle' },
                {
                  guard: 'isFirstRetry',
                  actions: { type: 'askCallback', params: { field: 'phone', retry: true } },
                },
                { target: '#dialog.idle', actions: 'failCallback' },
              ],
            },
          },
        },
      },
    },
  });
}

export type ConversationMachine = ReturnType<typeof createConversationMachine>;
