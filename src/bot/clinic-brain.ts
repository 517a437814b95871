/**
 * The real brain: understand the message in the conversation's context, step the dialog machine,
 * and return the next record. Pure and synchronous: no I/O, time comes in as `now`.
 */
import { createConversationMachine, type ConversationMachine } from '../../dialogs/conversation.machine.js';
import { nluContextOf, step } from '../../dialogs/step.js';
import { DEFAULT_ASPECT_FALLBACK, type Understanding } from '../../dialogs/types.js';
import type { Knowledge } from '../knowledge/load.js';
import { renderLabel } from '../knowledge/render.js';
import { understand, type NluModel } from '../nlu/understand.js';
import type { Brain, BrainResult } from './brain.js';

export interface ClinicBrainDeps {
  knowledge: Knowledge;
  nlu: NluModel;
  machine?: ConversationMachine;
}

/** The machine's view of the knowledge base: which sections each entry has, and its related entries. */
export function createMachineFor(knowledge: Knowledge, nlu: NluModel): ConversationMachine {
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
  });
}

export function createClinicBrain(deps: ClinicBrainDeps): Brain {
  const machine = deps.machine ?? createMachineFor(deps.knowledge, deps.nlu);
  return {
    turn(record, input, now): BrainResult {
      const previous = record?.dialog;
      if (input.kind === 'joined') {
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
      const result = step(machine, previous, { type: 'user.message', nlu, now, shared: input.shared });
      return {
        record: { v: 1, dialog: result.persisted, lastSeen: now },
        replies: result.replies,
        outcome: nlu.redFlagGaps ? { ...result.outcome, redFlagGaps: nlu.redFlagGaps } : result.outcome,
        intent: nlu.intent,
        redFlagRules: nlu.redFlags.map((r) => r.ruleId),
      };
    },
  };
}

function safeLabel(knowledge: Knowledge, labelKey: string): string {
  try {
    return renderLabel(knowledge, labelKey);
  } catch {
    return labelKey;
  }
}
