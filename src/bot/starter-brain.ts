/**
 * A stand-in brain until understanding and the dialog machine are wired: it greets and echoes.
 * It keeps the final shape (record in, record + reply keys out) so the pipeline is exercised.
 */
import type { Brain } from './brain.js';

export function createStarterBrain(): Brain {
  return {
    turn(_record, input, now) {
      const record = { v: 1 as const, lastSeen: now };
      if (input.kind === 'joined') return { record, replies: [{ key: 'starter.welcome' }], outcome: {} };
      if (!input.text) return { record, replies: [{ key: 'starter.empty' }], outcome: {}, intent: 'empty' };
      return {
        record,
        replies: [{ key: 'starter.echo', slots: { question: input.text } }],
        outcome: {},
        intent: 'echo',
      };
    },
  };
}
