/**
 * One turn: restore the stored snapshot, run the pure XState transition() with the host's event,
 * collect the replies (`say` actions) and the outcome (`report` actions), and return the snapshot
 * to store. No I/O, no timers, no randomness, no clock (time comes on the event).
 *
 * A stored record from another machine or version, or one that cannot be read, restarts the
 * conversation politely (a `system.restarted` reply) instead of failing the turn.
 */
import { initialTransition, transition } from 'xstate';
import {
  DIALOG_MACHINE_ID,
  DIALOG_MACHINE_VERSION,
  type ConversationMachine,
  type DialogEvent,
} from './conversation.machine.js';
import { initialContext, type DialogContext } from './dialog-logic.js';
import { K } from './message-keys.js';
import { questionById } from './questions.js';
import { LEVEL_ORDER, type Choice, type NluContext, type Reply, type TurnOutcome } from './types.js';

export type { DialogEvent } from './conversation.machine.js';

export interface PersistedDialog {
  machineId: string;
  version: number;
  snapshot: unknown;
}

/** The NLU context for the next message, with choices as label KEYS: the host renders the labels. */
export type DialogNluContext = Omit<NluContext, 'choices'> & { choices?: Choice[] };

export interface TurnResult {
  persisted: PersistedDialog;
  replies: Reply[];
  outcome: TurnOutcome;
  nluContext: DialogNluContext;
}

type Snapshot = ReturnType<ConversationMachine['resolveState']>;

export function step(
  machine: ConversationMachine,
  persisted: PersistedDialog | undefined,
  event: DialogEvent,
): TurnResult {
  const replies: Reply[] = [];
  let snapshot = persisted ? restore(machine, persisted) : undefined;
  if (!snapshot) {
    if (persisted) {
      replies.push({ key: K.systemRestarted });
      // The patient has been welcomed in this conversation before: carry on from the hub.
      snapshot = machine.resolveState({ value: 'idle', context: { ...initialContext(), welcomed: true } });
    } else {
      snapshot = initialTransition(machine)[0];
    }
  }
  const [next, actions] = transition(machine, snapshot, event);
  const outcome: TurnOutcome = {};
  for (const action of actions) {
    if (action.type === 'say') replies.push(action.params as Reply);
    else if (action.type === 'report') Object.assign(outcome, action.params as Partial<TurnOutcome>);
  }
  const stored: PersistedDialog = {
    machineId: DIALOG_MACHINE_ID,
    version: DIALOG_MACHINE_VERSION,
    snapshot: machine.getPersistedSnapshot(next),
  };
  return { persisted: stored, replies, outcome, nluContext: nluContextOf(stored) };
}

/** The snapshot in a stored record, or undefined when it is another machine's, another version's or unreadable. */
export function restore(machine: ConversationMachine, persisted: PersistedDialog): Snapshot | undefined {
  if (persisted.machineId !== DIALOG_MACHINE_ID || persisted.version !== DIALOG_MACHINE_VERSION)
    return undefined;
  const stored = persisted.snapshot;
  if (!isRecord(stored) || stored.status !== 'active' || !isDialogContext(stored.context)) return undefined;
  const value = stored.value;
  if (typeof value !== 'string' && !isRecord(value)) return undefined;
  try {
    return machine.resolveState({ value: value as Snapshot['value'], context: stored.context });
  } catch {
    return undefined;
  }
}

/** The NLU context before the first message. */
export function initialNluContext(): DialogNluContext {
  return {};
}

/** The NLU context for the next message, read from a stored record (undefined: a new conversation). */
export function nluContextOf(persisted: PersistedDialog | undefined): DialogNluContext {
  const stored = persisted?.snapshot;
  if (!isRecord(stored) || !isDialogContext(stored.context)) return initialNluContext();
  const context = stored.context;
  const value = stored.value;
  let expecting: NluContext['expecting'];
  if (isRecord(value) && typeof value.triage === 'string') {
    expecting = questionById(value.triage)?.expecting;
  }
  if (!expecting && context.offered.length > 0) expecting = 'choice';
  return {
    ...(context.topic ? { topic: context.topic } : {}),
    ...(context.offered.length > 0 ? { choices: context.offered.map((c) => ({ ...c })) } : {}),
    ...(expecting ? { expecting } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Reading stored data defensively (it may come from an older build or be damaged)

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isStringArray = (x: unknown): x is string[] =>
  Array.isArray(x) && x.every((v) => typeof v === 'string');
const isLevel = (x: unknown) => typeof x === 'string' && (LEVEL_ORDER as readonly string[]).includes(x);
const isCount = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;

function isDialogContext(x: unknown): x is DialogContext {
  if (!isRecord(x)) return false;
  if (typeof x.welcomed !== 'boolean' || typeof x.resumed !== 'boolean') return false;
  if (!isCount(x.retries) || !isCount(x.misses)) return false;
  if (!isStringArray(x.signals)) return false;
  if (!isRecord(x.answers) || !Object.values(x.answers).every((v) => typeof v === 'string')) return false;
  if (
    !Array.isArray(x.offered) ||
    !x.offered.every((c) => isRecord(c) && typeof c.payload === 'string' && typeof c.labelKey === 'string')
  ) {
    return false;
  }
  if (x.lastAt !== undefined && (typeof x.lastAt !== 'number' || !Number.isFinite(x.lastAt))) return false;
  if (x.topic !== undefined && typeof x.topic !== 'string') return false;
  if (x.announced !== undefined && !isLevel(x.announced)) return false;
  if (x.announcedOther !== undefined && !isLevel(x.announcedOther)) return false;
  if (x.offer !== undefined && typeof x.offer !== 'string') return false;
  if (x.shared !== undefined && typeof x.shared !== 'boolean') return false;
  if (x.disposition !== undefined) {
    const d = x.disposition;
    if (!isRecord(d) || !isLevel(d.level) || !isStringArray(d.ruleIds) || typeof d.version !== 'string')
      return false;
    if (d.via !== 'triage' && d.via !== 'red_flag') return false;
  }
  return true;
}
