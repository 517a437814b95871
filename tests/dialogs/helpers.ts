/**
 * Builders for dialog tests: Understanding values, a small triage table and knowledge catalogue,
 * and a Chat driver that runs turns through step() the way the host does (persisting between turns).
 */
import { getShortestPaths } from 'xstate/graph';
import {
  createConversationMachine,
  type DialogDeps,
  type DialogEvent,
} from '../../dialogs/conversation.machine.js';
import { step, type PersistedDialog, type TurnResult } from '../../dialogs/step.js';
import type { TriageTable } from '../../dialogs/triage-rules.js';
import {
  DEFAULT_ASPECT_FALLBACK,
  type Aspect,
  type Entities,
  type Intent,
  type Reply,
  type SymptomReport,
  type Understanding,
} from '../../dialogs/types.js';

/** An Understanding with sensible defaults: a confident `unknown` with nothing found. */
export function nlu(over: Partial<Understanding> = {}): Understanding {
  return { intent: 'unknown', confidence: 0.9, topics: [], signals: [], entities: {}, ...over };
}

export const intent = (name: Intent, confidence = 0.9, over: Partial<Understanding> = {}) =>
  nlu({ intent: name, confidence, ...over });
export const yes = () => intent('affirm');
export const no = () => intent('deny');
export const unsure = () => intent('unsure');
export const gibberish = () => intent('unknown', 0.2);
export const pick = (payload: string) => nlu({ choice: payload, intent: 'unknown', confidence: 0.5 });
export const entities = (e: Entities) => nlu({ entities: e });
/** A question about `id` (confidence `c`), optionally about one aspect, with other ranked topics. */
export const ask = (id: string, c = 0.9, aspect?: Aspect, others: Array<[string, number]> = []) =>
  nlu({
    intent: 'question',
    confidence: 0.9,
    topics: [{ id, confidence: c }, ...others.map(([o, oc]) => ({ id: o, confidence: oc }))],
    ...(aspect ? { aspect } : {}),
  });
/** A follow-up that names no topic ("how is it treated?"). */
export const followUp = (aspect: Aspect) => nlu({ intent: 'question', confidence: 0.9, aspect });

/** A message in which the NLU found the patient's `signal` (the machine applies the triage table). */
export function redFlag(signal: string): Understanding {
  return nlu({ intent: 'unknown', confidence: 0.5, signals: [signal] });
}

/** A message that describes the patient's own symptoms ("my bum aches and it goes down my leg"). */
export function report(over: Partial<Understanding> = {}, r: Partial<SymptomReport> = {}): Understanding {
  return nlu({
    intent: 'question',
    confidence: 0.4,
    report: { subject: 'self', request: false, question: false, ...r },
    ...over,
  });
}

/** A message about someone else's sign ("my husband can't pee"). */
export function otherPerson(signal: string): Understanding {
  return nlu({
    intent: 'out_of_scope',
    confidence: 0.6,
    otherSignals: [signal],
    report: { subject: 'other', request: false, question: false },
  });
}

/** A small triage table in the shape of knowledge/triage-rules.yaml. */
export const TABLE: TriageTable = {
  version: 'test-1',
  rules: [
    {
      id: 'ce',
      level: 'E',
      when: { any: ['ce.bladder', 'ce.bowel', 'ce.saddle_numbness', 'ce.sexual'] },
      reason: 'reason.ce',
    },
    {
      id: 'ce-both',
      level: 'E',
      when: { any: ['ce.bilateral_sciatica', 'ce.bilateral_weakness'] },
      reason: 'reason.both',
    },
    { id: 'trauma', level: 'E', when: { any: ['trauma.major'] }, reason: 'reason.trauma' },
    {
      id: 'fever-nerve',
      level: 'E',
      when: { all: ['systemic.fever'], any: ['neuro.weakness_one_leg', 'neuro.foot_drop', 'neuro.numbness'] },
      reason: 'reason.fever_nerve',
    },
    {
      id: 'cancer-nerve',
      level: 'E',
      when: { all: ['history.cancer'], any: ['neuro.weakness_one_leg', 'neuro.foot_drop', 'neuro.numbness'] },
      reason: 'reason.cancer_nerve',
    },
    {
      id: 'weak',
      level: 'U',
      when: { any: ['neuro.weakness_one_leg', 'neuro.foot_drop'] },
      reason: 'reason.weak',
    },
    { id: 'fever', level: 'U', when: { any: ['systemic.fever'] }, reason: 'reason.fever' },
    { id: 'cancer', level: 'U', when: { any: ['history.cancer'] }, reason: 'reason.cancer' },
    { id: 'weight', level: 'U', when: { any: ['weight_loss'] }, reason: 'reason.weight' },
    { id: 'infection', level: 'U', when: { any: ['infection.risk'] }, reason: 'reason.infection' },
    { id: 'night', level: 'U', when: { any: ['pain.night'] }, reason: 'reason.night' },
    { id: 'cough', level: 'U', when: { any: ['pain.cough'] }, reason: 'reason.cough' },
    { id: 'thoracic', level: 'U', when: { any: ['pain.thoracic'] }, reason: 'reason.thoracic' },
    { id: 'unbearable', level: 'U', when: { any: ['pain.unbearable'] }, reason: 'reason.unbearable' },
    { id: 'age', level: 'S', when: { any: ['age.over_60', 'age.under_20'] }, reason: 'reason.age' },
    { id: 'child', level: 'S', when: { any: ['child'] }, reason: 'reason.child' },
    {
      id: 'slow',
      level: 'S',
      when: { any: ['sciatica.not_improving', 'duration.over_6_weeks'] },
      reason: 'reason.slow',
    },
  ],
};

export const CATALOGUE: DialogDeps['catalogue'] = {
  sciatica: {
    sections: ['more', 'treatment', 'outlook'],
    related: ['herniated-disc', 'piriformis-syndrome'],
  },
  'herniated-disc': { sections: ['more', 'symptoms'], related: ['sciatica'] },
  'piriformis-syndrome': { sections: [], related: ['sciatica'] },
  'opening-hours': { sections: [], related: [] },
  symptoms: { sections: [], related: [] },
  'buttock-pain-causes': { sections: [], related: [] },
  diagnosis: { sections: [], related: [] },
  'treatment-overview': { sections: ['more'], related: ['sciatica'] },
  'recovery-time': { sections: [], related: [] },
  'is-it-serious': { sections: [], related: [] },
  prevention: { sections: [], related: [] },
};

export const ASPECT_FALLBACK: DialogDeps['aspectFallback'] = DEFAULT_ASPECT_FALLBACK;

export function makeMachine(over: Partial<DialogDeps> = {}) {
  return createConversationMachine({
    triage: TABLE,
    catalogue: CATALOGUE,
    aspectFallback: ASPECT_FALLBACK,
    ...over,
  });
}

export type TestMachine = ReturnType<typeof makeMachine>;

export const MINUTE = 60_000;
const START = Date.UTC(2026, 0, 5, 10, 0, 0);

/** Drives a conversation turn by turn, storing the record between turns like the host does. */
export class Chat {
  persisted: PersistedDialog | undefined;
  now = START;
  last!: TurnResult;

  constructor(readonly machine: TestMachine = makeMachine()) {}

  /** Replay host events (their times are replaced by this chat's clock, a minute apart). */
  replay(events: readonly DialogEvent[]): TurnResult | undefined {
    for (const e of events) {
      this.now += MINUTE;
      this.run({ ...e, now: this.now });
    }
    return this.last;
  }

  join(): TurnResult {
    return this.run({ type: 'user.joined', now: this.now });
  }

  send(message: Understanding, afterMinutes = 1): TurnResult {
    this.now += afterMinutes * MINUTE;
    return this.run({ type: 'user.message', nlu: message, now: this.now });
  }

  private run(event: Parameters<typeof step>[2]): TurnResult {
    this.last = step(this.machine, this.persisted, event);
    // Stored as JSON, as the host does.
    this.persisted = JSON.parse(JSON.stringify(this.last.persisted)) as PersistedDialog;
    return this.last;
  }

  /** The state value of the stored snapshot, as a dotted path ("triage.bladder"). */
  get state(): string {
    return statePath((this.persisted?.snapshot as { value: unknown }).value);
  }

  get context(): Record<string, unknown> {
    return (this.persisted?.snapshot as { context: Record<string, unknown> }).context;
  }
}

export function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0]!;
  return `${key}.${statePath(child)}`;
}

export const keys = (replies: readonly Reply[]) => replies.map((r) => r.key);
/** Payloads of every choice offered in these replies. */
export const payloads = (replies: readonly Reply[]) =>
  replies.flatMap((r) => (r.choices ?? []).map((c) => c.payload));

/** The two grouped screen questions, in order: the emergency signs, then the urgent ones. */
export const SCREEN = ['emergency', 'urgent'] as const;
/** The sign questions, asked one at a time only to narrow a group down. */
export const SIGNS = [
  'bladder',
  'bowel',
  'saddle',
  'sexual',
  'both_legs',
  'leg_weakness',
  'fever',
  'injury',
  'cancer',
  'weight_loss',
  'infection',
] as const;

/** A chat that has been welcomed and asked for the symptom check (now at the first question). */
export function startTriage(chat = new Chat()): Chat {
  if (!chat.persisted) chat.join();
  chat.send(pick('intent:start_triage'));
  return chat;
}

/** "None of these" to both groups of warning signs. */
export function clearScreen(chat: Chat): Chat {
  for (const _ of SCREEN) chat.send(no());
  return chat;
}

/** Host events that exercise every flow, for graph traversal. */
export function sampleMessages(): Understanding[] {
  return [
    yes(),
    no(),
    unsure(),
    gibberish(),
    intent('greeting'),
    intent('thanks'),
    intent('out_of_scope'),
    intent('tell_me_more'),
    intent('restart'),
    intent('stop'),
    intent('help'),
    intent('handoff'),
    intent('goodbye'),
    intent('book_appointment'),
    intent('cancel_appointment'),
    intent('forget_me'),
    intent('empty'),
    pick('intent:start_triage'),
    ask('sciatica'),
    ask('sciatica', 0.7, undefined, [['herniated-disc', 0.68]]),
    followUp('treatment'),
    entities({ locations: ['buttock'] }),
    entities({ durationDays: 20 }),
    entities({ painScore: 4 }),
    entities({ age: 35 }),
    pick('option:better'),
    redFlag('ce.bladder'),
    redFlag('systemic.fever'),
    report({ entities: { locations: ['buttock'] } }),
    otherPerson('ce.bladder'),
  ];
}

export function sampleEvents(): DialogEvent[] {
  return [
    { type: 'user.joined', now: 0 },
    ...sampleMessages().map((m): DialogEvent => ({ type: 'user.message', nlu: m, now: 0 })),
  ];
}

/**
 * A graph vertex: the state value plus the clinical signals heard, because what a triage answer
 * does depends on them (an urgent answer earlier in the screen makes the last screen question
 * escalate). Keying on the value alone would explore each question with whatever signals the
 * first path to it happened to carry.
 */
export function serializeForGraph(snapshot: {
  value: unknown;
  context: { signals: readonly string[] };
}): string {
  return JSON.stringify([snapshot.value, [...snapshot.context.signals].sort()]);
}

/** For every reachable state value: the host events that reach it from a new conversation. */
export function waysToEveryState(machine: TestMachine): Map<string, DialogEvent[]> {
  const paths = getShortestPaths(machine, {
    events: sampleEvents(),
    serializeState: serializeForGraph,
  });
  const ways = new Map<string, { events: DialogEvent[]; signals: number }>();
  for (const path of paths) {
    const events = path.steps
      .map((s) => s.event)
      .filter((e): e is DialogEvent => e.type === 'user.joined' || e.type === 'user.message');
    const key = statePath(path.state.value);
    const signals = path.state.context.signals.length;
    const known = ways.get(key);
    // Per state, the way that heard the fewest clinical signals, then the shortest.
    if (
      !known ||
      signals < known.signals ||
      (signals === known.signals && events.length < known.events.length)
    ) {
      ways.set(key, { events, signals });
    }
  }
  return new Map([...ways].map(([k, v]) => [k, v.events]));
}

/** A chat brought to `state` by replaying the shortest way there. */
export function chatAt(state: string, machine: TestMachine = makeMachine()): Chat {
  const events = waysToEveryState(machine).get(state);
  if (!events) throw new Error(`no way to ${state}`);
  const chat = new Chat(machine);
  chat.replay(events);
  return chat;
}
