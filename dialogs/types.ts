/**
 * The vocabulary shared by the understanding layer (src/nlu) and the dialog machine (dialogs/).
 * Plain data only: no botbuilder types, no I/O, no wording. A reply is a message key plus slots;
 * the hosting layer renders keys from knowledge/.
 */

/** Disposition ladder from shared/clinical.md: Emergency now, Urgent same day, See a clinician soon, Care for yourself. */
export type Level = 'E' | 'U' | 'S' | 'C';

/** Order of urgency, highest first. */
export const LEVEL_ORDER: readonly Level[] = ['E', 'U', 'S', 'C'];

/** Conversation moves the classifier learns from knowledge/intents.yaml. */
export const CONVERSATIONAL_INTENTS = [
  'greeting',
  'thanks',
  'goodbye',
  'help',
  'start_triage',
  'book_appointment',
  'cancel_appointment',
  'handoff',
  'restart',
  'stop',
  'forget_me',
  'tell_me_more',
  'affirm',
  'deny',
  'unsure',
] as const;

/** Every intent the understanding layer can report. */
export const INTENTS = [
  ...CONVERSATIONAL_INTENTS,
  /** A question about a knowledge entry: see `topics` and `aspect`. */
  'question',
  /** Something the knowledge base cannot answer (other illnesses, weather, prices it does not know). */
  'out_of_scope',
  /** No text at all: attachments only, empty, whitespace, emoji only. */
  'empty',
  /** Text the bot could not make sense of (gibberish, a lone word it does not know). */
  'unknown',
] as const;

export type Intent = (typeof INTENTS)[number];

/** What a follow-up asks about the current topic ("how is it treated?" -> treatment). */
export type Aspect =
  'more' | 'symptoms' | 'causes' | 'diagnosis' | 'treatment' | 'outlook' | 'serious' | 'prevention';

/**
 * The general entry that answers an aspect when the current topic has no section for it
 * ("how long does it last?" about an entry with no Outlook section -> recovery-time).
 */
export const DEFAULT_ASPECT_FALLBACK: Readonly<Partial<Record<Aspect, string>>> = Object.freeze({
  symptoms: 'symptoms',
  causes: 'buttock-pain-causes',
  diagnosis: 'diagnosis',
  treatment: 'treatment-overview',
  outlook: 'recovery-time',
  serious: 'is-it-serious',
  prevention: 'prevention',
});

export interface TopicMatch {
  /** Knowledge entry id, e.g. "herniated-disc". */
  id: string;
  /** Calibrated 0..1. */
  confidence: number;
}

/** A red-flag escalation rule that fired, with the level it sets. */
export interface RedFlagHit {
  ruleId: string;
  level: Level;
}

export type BodyLocation = 'low_back' | 'buttock' | 'thigh' | 'below_knee' | 'foot';

export interface Entities {
  /** 0..10 */
  painScore?: number;
  durationDays?: number;
  age?: number;
  side?: 'left' | 'right' | 'both';
  locations?: BodyLocation[];
  /** 1-based option number the user typed ("2", "option 2", "the second one"). */
  choice?: number;
}

/** A choice the bot offered: a machine-readable payload and the message key of its label. */
export interface Choice {
  /** e.g. "intent:start_triage", "topic:sciatica", "answer:yes", "option:under_6_weeks" */
  payload: string;
  labelKey: string;
}

/** What the understanding layer needs from the conversation. */
export interface NluContext {
  /** The topic of the last answer, for follow-ups. */
  topic?: string;
  /** Choices offered with the last reply, with their rendered labels. */
  choices?: ReadonlyArray<{ payload: string; label: string }>;
  /** What kind of answer the last question expects. */
  expecting?: 'yes_no' | 'choice' | 'pain_score' | 'duration' | 'age' | 'free_text';
}

/** The understanding layer's verdict on one message. */
export interface Understanding {
  intent: Intent;
  /** Calibrated 0..1 confidence in `intent`. */
  confidence: number;
  /** Ranked knowledge entries, best first (empty when none fits). */
  topics: TopicMatch[];
  aspect?: Aspect;
  /** Payload of an offered choice the message picked (by number, label or click). */
  choice?: string;
  /** Clinical signals found in this message about the person writing (negation already handled). */
  signals: string[];
  /** Signs only the learned net found (already in `signals`): rule gaps for the clinician's review. */
  redFlagGaps?: RedFlagGap[];
  entities: Entities;
  /**
   * A part of the question the knowledge cannot answer for this person (knowledge/language.yaml
   * `qualifiers`: pregnancy, children, medicines together, their own records).
   */
  qualifier?: string;
  /** The qualifier's reply comes before the general answer, not instead of it ("can you tell me if I have X?"). */
  qualifierThenAnswer?: boolean;
  /** The question names something the knowledge has no details on: the answer is the nearest we have, and says so. */
  partial?: boolean;
  /** A second question in the same message ("heat or ice, and how long will it take?"). */
  also?: { topic: string; aspect?: Aspect };
  /** The message describes symptoms (the writer's own or someone else's): see SymptomReport. */
  report?: SymptomReport;
  /**
   * Clinical signals about someone else ("my husband can't pee"): current signs only, found by
   * reading the message as if that person wrote it. Never mixed into `signals`.
   */
  otherSignals?: string[];
  /** Warning signs the message talks about, whatever it says about them ("no fever" -> systemic.fever). */
  mentions?: string[];
  /** The message narrows itself down ("only", "just", "apart from"). */
  only?: boolean;
  /** The message points at a list the bot showed ("none of those"). */
  listRef?: boolean;
  /** The message puts the symptom check off ("not now", "maybe later"). */
  notNow?: boolean;
}

/** What a message describing symptoms says, beyond the entities and signals. */
export interface SymptomReport {
  /** Whose symptoms: the writer's, or someone else's ("my mum's leg ..."). */
  subject: 'self' | 'other';
  /** It asks for a check or for what to do ("what should I do", "can you check my symptoms"). */
  request: boolean;
  /** It is phrased as a question. */
  question: boolean;
  /** Better or worse, as the message says it ("isn't getting any better" -> same). */
  trend?: 'better' | 'same' | 'worse';
}

/** A sign the learned red-flag net understood and no rule of the table found: ids only, never text. */
export interface RedFlagGap {
  signal: string;
  /** The net's probability, 0..1. */
  confidence: number;
}

/** One thing the bot says: a message key, slots for its placeholders, and choices to offer. */
export interface Reply {
  key: string;
  slots?: Record<string, string | number>;
  choices?: Choice[];
}

/** A disposition: the level, why, and which version of the triage table decided it. */
export interface Disposition {
  level: Level;
  /** Ids of the triage-table rules that decided the level (empty for plain self-care). */
  ruleIds: string[];
  /** Version of knowledge/triage-rules.yaml. */
  version: string;
  /** Reached at the end of a symptom check, or by a red flag at any moment. */
  via: 'triage' | 'red_flag';
  /** Set when the advice is about someone else the patient wrote about. */
  subject?: 'other';
}

/** What happened in a turn, as data: for the host (logs, handoff webhook, metrics) and for tests. */
export interface TurnOutcome {
  /** The knowledge entry answered, and which part of it. */
  answered?: { topic: string; aspect?: Aspect };
  /** A question about this entry that the knowledge cannot answer for the person (pregnancy ...). */
  qualified?: { topic: string; qualifier: string };
  /** "Did you mean" choices offered instead of an answer. */
  didYouMean?: string[];
  outOfScope?: boolean;
  disposition?: Disposition;
  /** Set when the patient asked for (or the flow offered and they accepted) a person. */
  handoff?: {
    reason: 'requested' | 'out_of_scope' | 'not_understood' | 'triage';
    disposition?: Disposition;
    /** Triage answers as codes (question id -> answer code), never free text. */
    answers: Record<string, string>;
    /** With the patient's consent: who to call back, on what number. Personal data: sent, never logged. */
    callback?: { name: string; phone: string };
    /** Whether the clinic was open when the patient asked (unset when the host did not say). */
    clinicOpen?: boolean;
  };
  bookingOffered?: boolean;
  /** The patient asked to delete what is stored about this conversation. */
  forget?: boolean;
  /** Signs only the learned red-flag net found this turn: rule gaps for the clinician's review. */
  redFlagGaps?: RedFlagGap[];
}
