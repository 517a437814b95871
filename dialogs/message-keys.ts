/**
 * Every message key the conversation machine can say, by name. The wording lives in
 * knowledge/messages/dialog.yaml and triage.yaml; `reason.*` keys come from the triage table
 * (knowledge/messages/reasons.yaml), `kb.answer` is a knowledge entry and `kb.title.<id>` an entry's
 * title, both rendered by the host.
 */
import { questionMessageKeys } from './questions.js';

export const K = {
  // Welcome and small talk
  welcomeIntro: 'welcome.intro',
  welcomeEmergency: 'welcome.emergency',
  welcomePrivacy: 'welcome.privacy',
  welcomeMenu: 'welcome.menu',
  welcomeBack: 'dialog.welcome_back',
  greeting: 'dialog.greeting',
  thanks: 'dialog.thanks',
  goodbye: 'dialog.goodbye',
  help: 'dialog.help',
  menu: 'dialog.menu',
  askPrompt: 'dialog.ask_prompt',
  restarted: 'dialog.restarted',
  stopped: 'dialog.stopped',
  forgotten: 'dialog.forgotten',
  empty: 'dialog.empty',
  notUnderstood: 'dialog.not_understood',
  offerPerson: 'dialog.offer_person',
  offerDeclined: 'dialog.offer_declined',
  systemRestarted: 'system.restarted',
  // Knowledge answers
  answer: 'kb.answer',
  didYouMean: 'kb.did_you_mean',
  orDidYouMean: 'kb.or_did_you_mean',
  notSure: 'kb.not_sure',
  outOfScope: 'kb.out_of_scope',
  reassured: 'dialog.reassured',
  /** + the qualifier's name from knowledge/language.yaml ("kb.qualifier.pregnancy"). */
  qualifierPrefix: 'kb.qualifier.',
  partialAnswer: 'kb.partial',
  noMore: 'kb.no_more',
  noTopic: 'kb.no_topic',
  // Booking and handoff
  bookingInfo: 'booking.info',
  bookingCancel: 'booking.cancel',
  handoffInfo: 'handoff.info',
  handoffOpenNow: 'handoff.open_now',
  handoffClosedNow: 'handoff.closed_now',
  callbackOffer: 'handoff.callback_offer',
  callbackAskName: 'handoff.ask_name',
  callbackAskNameRetry: 'handoff.ask_name.retry',
  callbackAskPhone: 'handoff.ask_phone',
  callbackAskPhoneRetry: 'handoff.ask_phone.retry',
  callbackConfirmOpen: 'handoff.callback_open',
  callbackConfirmClosed: 'handoff.callback_closed',
  callbackDeclined: 'handoff.no_callback',
  callbackFailed: 'handoff.callback_failed',
  choiceCallMe: 'choice.call_me_back',
  choiceNoCallback: 'choice.no_callback',
  // Red flags at any moment
  escalateEmergency: 'escalate.emergency',
  escalateUrgent: 'escalate.urgent',
  escalateReminder: 'escalate.reminder',
  escalateEmergencyOther: 'escalate.emergency_other',
  escalateUrgentOther: 'escalate.urgent_other',
  because: 'escalate.because',
  // Symptom check
  triageStart: 'triage.start',
  triageStartReport: 'triage.start_report',
  triageStartUrgent: 'triage.start_urgent',
  triageNoted: 'triage.noted',
  triageNotedUrgent: 'triage.noted_urgent',
  triageStopped: 'triage.stopped',
  triageResume: 'triage.resume',
  triageContinue: 'triage.continue',
  triageQuestionLater: 'triage.question_later',
  triageAfterEmergency: 'triage.after_emergency',
  triagePrivateOnly: 'triage.private_only',
  reasonUnclear: 'triage.reason_unclear_answer',
  reasonUnclearRedFlag: 'triage.reason_unclear_red_flag',
  reasonEmergencyScreen: 'triage.reason_emergency_screen',
  // Dispositions and safety-netting (shared/clinical.md sections 1 and 4)
  dispositionE: 'disposition.emergency',
  dispositionU: 'disposition.urgent',
  dispositionS: 'disposition.soon',
  dispositionC: 'disposition.self_care',
  selfCareAdvice: 'disposition.self_care_advice',
  nextSteps: 'disposition.next_steps',
  safetyIntro: 'safety.intro',
  safetyEmergencySigns: 'safety.emergency_signs',
  safetyUrgentSigns: 'safety.urgent_signs',
  safetyReview: 'safety.review',
  // Choice labels
  choiceCheckSymptoms: 'choice.check_symptoms',
  choiceAskQuestion: 'choice.ask_question',
  choiceBook: 'choice.book',
  choiceFrontDesk: 'choice.front_desk',
  choiceOpenBooking: 'choice.open_booking',
  choiceStartAgain: 'choice.start_again',
} as const;

/** Every key the machine can say or use as a choice label (for the content linter). */
export const DIALOG_MESSAGE_KEYS: readonly string[] = Object.freeze([
  ...new Set([
    ...Object.values(K).filter((k) => k !== K.answer && k !== K.qualifierPrefix),
    ...questionMessageKeys(),
  ]),
]);
