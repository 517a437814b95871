/**
 * The real brain: understand the message in the conversation's context, step the dialog machine,
 * and return the next record. Pure and synchronous: no I/O, time comes in as `now`.
 */
import { createConversationMachine, type ConversationMachine } from '../../dialogs/conversation.machine.js';
import { K } from '../../dialogs/message-keys.js';
import { nluContextOf, step, type PersistedDialog } from '../../dialogs/step.js';
import { DEFAULT_ASPECT_FALLBACK, type Understanding } from '../../dialogs/types.js';
import { clinicNow } from '../knowledge/hours.js';
import type { Knowledge } from '../knowledge/load.js';
import { renderLabel } from '../knowledge/render.js';
import { understand, type NluModel } from '../nlu/understand.js';
import { REVIEW_NOTICE_KEY } from '../knowledge/requirements.js';
import type { Brain, BrainResult } from './brain.js';
import { readName, readPhone } from './callback.js';
import { createOtherLanguages, type OtherLanguages } from './other-languages.js';

export interface ClinicBrainDeps {
  knowledge: Knowledge;
  nlu: NluModel;
  machine?: ConversationMachine;
  /** The safety net in other languages (default: from the knowledge base). */
  languages?: OtherLanguages;
  /** "Talk to a person" asks a name and a number for a call back (a webhook or Teams can take them). */
  callback?: boolean;
  /** The review loop is on: the welcome's data notice says so, and for how many days. */
  reviewDays?: number;
}

/** Intents that mean the English understanding could not read the message. */
const UNREAD = new Set(['unknown', 'out_of_scope']);

/** The machine's view of the knowledge base: which sections each entry has, and its related entries. */
export function createMachineFor(knowledge: Knowledge, nlu: NluModel, callback = false): ConversationMachine {
  const catalogue = Object.fromEntries(
    [...knowledge.topics.values()].map((entry) => [
      entry.id,
      { sections: Object.keys(entry.sections) as Array<keyof typeof entry.sections>, related: entry.related },
    ]),
  );
  return createConversationMachine({
    triage: nlu.triage,
    catalogue,
    aspectFallback: DEFAULT_ASPECT_FALLBACK,
    callback,
  });
}

export function createClinicBrain(deps: ClinicBrainDeps): Brain {
  const machine = deps.machine ?? createMachineFor(deps.knowledge, deps.nlu, deps.callback);
  const brain = createTurn(deps, machine);
  if (deps.reviewDays === undefined) return brain;
  const days = deps.reviewDays;
  return {
    turn(record, input, now) {
      const result = brain.turn(record, input, now);
      const at = result.replies.findIndex((r) => r.key === K.welcomePrivacy);
      if (at < 0) return result;
      const replies = [...result.replies];
      replies.splice(at + 1, 0, { key: REVIEW_NOTICE_KEY, slots: { days } });
      return { ...result, replies };
    },
  };
}

function createTurn(deps: ClinicBrainDeps, machine: ConversationMachine): Brain {
  const languages = deps.languages ?? createOtherLanguages(deps.knowledge);
  return {
    turn(record, input, now): BrainResult {
      const previous = record?.dialog;
      if (input.kind === 'joined') {
        if (input.firstOnly && record) return { record, replies: [], outcome: {} };
        const result = step(machine, previous, { type: 'user.joined', now, shared: input.shared });
        return {
          record: { v: 1, dialog: result.persisted, lastSeen: now },
          replies: result.replies,
          outcome: result.outcome,
        };
      }
      const context = nluContextOf(previous);
      const choices = context.choices?.map((c) => ({
        payload: c.payload,
        label: safeLabel(deps.knowledge, c.labelKey),
      }));
      let nlu: Understanding = understand(input.text, { ...context, choices }, deps.nlu, {
        now: new Date(now),
      });
      // A button that sent its payload (messageBack) picks that choice whatever its text says.
      if (input.payload && choices?.some((c) => c.payload === input.payload)) {
        nlu = { ...nlu, choice: input.payload };
      }
      // Another language: its warning signs count like English ones (the machine escalates as
      // usual), and a message English could not read gets the short safety net in that language.
      const callback = deps.callback ? callbackData(deps.knowledge, previous, input.text, now) : {};
      // A name or number typed for a call back is not a message in another language.
      const foreign = nlu.choice || callback.contact ? undefined : languages.redFlags(input.text);
      if (foreign) nlu = { ...nlu, signals: [...new Set([...nlu.signals, ...foreign.signals])] };
      const language =
        !nlu.choice && !callback.contact && (foreign || UNREAD.has(nlu.intent))
          ? (foreign?.language ?? languages.detect(input.text))
          : undefined;
      const languageReply = language ? [{ key: languages.replyKey(language) }] : [];
      if (language && !foreign?.signals.length) {
        // Nothing for the dialog to do: it stays where it was (a question asked is still open).
        return {
          record: { v: 1, ...(record?.dialog ? { dialog: record.dialog } : {}), lastSeen: now },
          replies: languageReply,
          outcome: {},
          intent: nlu.intent,
          language: language.code,
        };
      }
      const result = step(machine, previous, {
        type: 'user.message',
        nlu,
        now,
        shared: input.shared,
        ...callback,
      });
      return {
        record: { v: 1, dialog: result.persisted, lastSeen: now },
        replies: [...languageReply, ...result.replies],
        outcome: nlu.redFlagGaps ? { ...result.outcome, redFlagGaps: nlu.redFlagGaps } : result.outcome,
        intent: nlu.intent,
        redFlagRules:
          result.outcome.disposition?.via === 'red_flag' ? result.outcome.disposition.ruleIds : [],
        ...(language ? { language: language.code } : {}),
        topics: nlu.topics.slice(0, 3),
      };
    },
  };
}

/** With call backs on: the clinic open or closed now, and, while the dialog asks, the name or number typed. */
function callbackData(
  knowledge: Knowledge,
  previous: PersistedDialog | undefined,
  text: string,
  now: number,
): { clinic?: ReturnType<typeof clinicNow>; contact?: { name?: string; phone?: string } } {
  const clinic = clinicNow(knowledge, new Date(now));
  const value = (previous?.snapshot as { value?: unknown } | undefined)?.value;
  const asking =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>).handoff : undefined;
  if (asking === 'name') {
    const name = readName(text);
    return name ? { clinic, contact: { name } } : { clinic };
  }
  if (asking === 'phone') {
    const phone = readPhone(text);
    return phone ? { clinic, contact: { phone } } : { clinic };
  }
  return { clinic };
}

function safeLabel(knowledge: Knowledge, labelKey: string): string {
  try {
    return renderLabel(knowledge, labelKey);
  } catch {
    return labelKey;
  }
}
