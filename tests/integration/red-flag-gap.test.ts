import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Brain } from '../../src/bot/brain.js';
import { messageActivity, post, startService, type Running } from '../helpers/service.js';

describe('a red-flag rule gap', () => {
  let app: Running;
  // A brain whose understanding found a sign only the learned net read (a rule gap).
  const gapBrain: Brain = {
    turn(_record, _input, now) {
      return {
        record: { v: 1, lastSeen: now },
        replies: [{ key: 'system.error' }],
        outcome: { redFlagGaps: [{ signal: 'ce.bladder', confidence: 0.81 }] },
        intent: 'unknown',
      };
    },
  };
  beforeAll(async () => {
    app = await startService({}, { brain: gapBrain });
  });
  afterAll(async () => {
    await app.close();
  });

  it('when a turn records a rule gap, then a log line names the signal for review and carries no message text', async () => {
    const words = 'private-words-about-my-waterworks';
    await post(app.url, messageActivity(words, { conversation: { id: 'c-gap' } }));
    const gap = app.logs.records().find((r) => r.msg === 'red-flag rule gap');
    expect(gap).toMatchObject({ conversationId: 'c-gap', signal: 'ce.bladder', confidence: 0.81 });
    expect(app.logs.lines.join('\n')).not.toContain(words);
  });

  it('when a turn records no gap, then there is no rule-gap line for it', async () => {
    const quiet: Brain = {
      turn: (_r, _i, now) => ({
        record: { v: 1, lastSeen: now },
        replies: [{ key: 'system.error' }],
        outcome: {},
      }),
    };
    const other = await startService({}, { brain: quiet });
    try {
      await post(other.url, messageActivity('hello', { conversation: { id: 'c-none' } }));
      expect(other.logs.records().some((r) => r.msg === 'turn')).toBe(true);
      expect(other.logs.records().some((r) => r.msg === 'red-flag rule gap')).toBe(false);
    } finally {
      await other.close();
    }
  });
});
