import { describe, expect, it } from 'vitest';
import type { TurnOutcome } from '../../dialogs/types.js';
import {
  backoffDelay,
  createHandoffNotifier,
  HANDOFF_DEFAULTS,
  type HandoffFetch,
  type HandoffNotifierOptions,
} from '../../src/bot/handoff.js';
import { ErrorCodes } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { LogSink } from '../helpers/service.js';

const FAILED = ErrorCodes.HANDOFF_WEBHOOK_FAILED.code;
const URL_ = 'https://clinic.example/hooks/handoff';

interface Call {
  url: string;
  headers: Record<string, string>;
  body: any;
  signal: AbortSignal;
}

/** A fetch that answers from a list of statuses ('network' throws), recording each call. */
function scriptedFetch(script: Array<number | 'network'>): { fetch: HandoffFetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: HandoffFetch = async (url, init) => {
    calls.push({ url, headers: init.headers, body: JSON.parse(init.body), signal: init.signal });
    const next = script[Math.min(calls.length - 1, script.length - 1)];
    if (next === 'network') throw new TypeError('fetch failed: connect ECONNREFUSED https://secret@host');
    return { status: next ?? 200, body: null };
  };
  return { fetch, calls };
}

function setup(fetch: HandoffFetch, extra: Partial<HandoffNotifierOptions> = {}) {
  const sink = new LogSink();
  const log = createLogger({ level: 'info', pretty: false, destination: sink });
  const sleeps: number[] = [];
  let ids = 0;
  const notifier = createHandoffNotifier({
    url: URL_,
    shareTranscript: false,
    log,
    fetch,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    now: () => Date.UTC(2025, 0, 6, 9, 30, 0),
    newId: () => `delivery-${++ids}`,
    ...extra,
  });
  const records = () => sink.records();
  const failures = () => records().filter((r) => r.code === FAILED);
  const successes = () => records().filter((r) => r.msg === 'handoff webhook delivered');
  return { notifier, sleeps, records, failures, successes, sink };
}

const requested: TurnOutcome = { handoff: { reason: 'requested', answers: {} } };

const afterTriage: TurnOutcome = {
  disposition: { level: 'U', ruleIds: ['ce-bladder'], version: '2026-11-22.1', via: 'triage' },
  answered: { topic: 'sciatica' },
  handoff: {
    reason: 'triage',
    disposition: { level: 'U', ruleIds: ['ce-bladder'], version: '2026-11-22.1', via: 'triage' },
    answers: { bladder: 'unclear', duration: '2_to_6_weeks', location: 'buttock' },
  },
};

describe('handoff webhook: retries', () => {
  it('when the webhook keeps failing, then it is tried maxAttempts times with doubling delays and each failure is logged', async () => {
    const { fetch, calls } = scriptedFetch([500]);
    const t = setup(fetch);
    t.notifier.notify('conv-a', 'emulator', requested);
    await t.notifier.whenIdle();

    expect(calls).toHaveLength(HANDOFF_DEFAULTS.maxAttempts);
    // random() = 0.5 means a jitter factor of 1: the bare schedule.
    expect(t.sleeps).toEqual([500, 1000, 2000]);
    const failures = t.failures();
    expect(failures.map((f) => f.attempt)).toEqual([1, 2, 3, 4]);
    expect(failures.every((f) => f.conversationId === 'conv-a' && f.status === 500)).toBe(true);
    expect(failures.map((f) => f.willRetry)).toEqual([true, true, true, false]);
    expect(failures.at(-1)!.level).toBeGreaterThanOrEqual(50); // the give-up is an error for staff
    expect(t.successes()).toHaveLength(0);
    // Every attempt carries the same delivery id, so the receiver can de-duplicate.
    expect(new Set(calls.map((c) => c.body.id)).size).toBe(1);
    expect(calls.every((c) => c.headers['idempotency-key'] === c.body.id)).toBe(true);
  });

  it('when the second attempt succeeds, then it stops there and logs the success with the attempt', async () => {
    const { fetch, calls } = scriptedFetch([503, 204]);
    const t = setup(fetch);
    t.notifier.notify('conv-b', 'webchat', requested);
    await t.notifier.whenIdle();

    expect(calls).toHaveLength(2);
    expect(t.sleeps).toHaveLength(1);
    expect(t.failures()).toMatchObject([{ conversationId: 'conv-b', attempt: 1, status: 503 }]);
    expect(t.successes()).toMatchObject([{ conversationId: 'conv-b', attempt: 2, status: 204 }]);
  });

  it.each([400, 401, 403, 404, 410, 422, 301])(
    'when the webhook answers %i, then it is not retried',
    async (status) => {
      const { fetch, calls } = scriptedFetch([status, 200]);
      const t = setup(fetch);
      t.notifier.notify('conv-c', 'emulator', requested);
      await t.notifier.whenIdle();
      expect(calls).toHaveLength(1);
      expect(t.sleeps).toHaveLength(0);
      expect(t.failures()).toMatchObject([
        { conversationId: 'conv-c', attempt: 1, status, willRetry: false },
      ]);
    },
  );

  it.each([408, 429, 500, 502])('when the webhook answers %i, then it is retried', async (status) => {
    const { fetch, calls } = scriptedFetch([status, 200]);
    const t = setup(fetch);
    t.notifier.notify('conv-d', 'emulator', requested);
    await t.notifier.whenIdle();
    expect(calls).toHaveLength(2);
    expect(t.successes()).toMatchObject([{ attempt: 2 }]);
  });

  it('when the network fails, then it is retried and the log has the kind of error but not its message', async () => {
    const { fetch, calls } = scriptedFetch(['network', 200]);
    const t = setup(fetch);
    t.notifier.notify('conv-e', 'emulator', requested);
    await t.notifier.whenIdle();
    expect(calls).toHaveLength(2);
    expect(t.failures()).toMatchObject([{ conversationId: 'conv-e', attempt: 1, error: 'network' }]);
    expect(t.failures()[0]!.status).toBeUndefined();
    expect(t.sink.lines.join('\n')).not.toContain('secret');
  });

  it('when a request hangs past the timeout, then it is aborted and counted as a failed attempt', async () => {
    const signals: AbortSignal[] = [];
    const hanging: HandoffFetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        signals.push(init.signal);
        init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    const t = setup(hanging, { timeoutMs: 20, maxAttempts: 2 });
    t.notifier.notify('conv-f', 'emulator', requested);
    await t.notifier.whenIdle();
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(t.failures()).toMatchObject([
      { attempt: 1, error: 'timeout', willRetry: true },
      { attempt: 2, error: 'timeout', willRetry: false },
    ]);
  });

  it('the backoff doubles per attempt and its jitter stays within half to one and a half of the step', () => {
    for (const attempt of [1, 2, 3, 4]) {
      const step = 500 * 2 ** (attempt - 1);
      expect(backoffDelay(attempt, 500, () => 0)).toBe(step / 2);
      expect(backoffDelay(attempt, 500, () => 0.5)).toBe(step);
      const high = backoffDelay(attempt, 500, () => 0.999999);
      expect(high).toBeLessThanOrEqual(step * 1.5);
      expect(high).toBeGreaterThan(step * 1.4);
    }
  });
});

describe('handoff webhook: the summary', () => {
  it('when a triage handoff is sent, then the body is the versioned summary with codes, the disposition and nothing else', async () => {
    const { fetch, calls } = scriptedFetch([200]);
    const t = setup(fetch);
    t.notifier.notify('conv-g', 'msteams', afterTriage);
    await t.notifier.whenIdle();

    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(URL_);
    expect(calls[0]!.headers['content-type']).toBe('application/json');
    expect(calls[0]!.body).toEqual({
      type: 'clinicbot.handoff',
      version: 1,
      id: 'delivery-1',
      conversationId: 'conv-g',
      channelId: 'msteams',
      at: '2025-01-06T09:30:00.000Z',
      reason: 'triage',
      disposition: { level: 'U', ruleIds: ['ce-bladder'], version: '2026-11-22.1', via: 'triage' },
      answers: { bladder: 'unclear', duration: '2_to_6_weeks', location: 'buttock' },
    });
  });

  it('when an answer is not a code (free text slipped in), then it is left out of the body', async () => {
    const { fetch, calls } = scriptedFetch([200]);
    const t = setup(fetch);
    const leaky: TurnOutcome = {
      handoff: {
        reason: 'requested',
        answers: { duration: 'over_12_weeks', worse: 'it hurts when I sit at my desk', 'my words': 'yes' },
      },
    };
    t.notifier.notify('conv-h', 'emulator', leaky);
    await t.notifier.whenIdle();
    expect(calls[0]!.body.answers).toEqual({ duration: 'over_12_weeks' });
    expect(JSON.stringify(calls[0]!.body)).not.toMatch(/desk|my words/);
  });

  it('when transcript sharing is off, then a transcript passed by the host is not sent', async () => {
    const { fetch, calls } = scriptedFetch([200]);
    const t = setup(fetch);
    t.notifier.notify('conv-i', 'emulator', requested, [{ direction: 'in', text: 'private words' }]);
    await t.notifier.whenIdle();
    expect(calls[0]!.body).not.toHaveProperty('transcript');
    expect(JSON.stringify(calls[0]!.body)).not.toContain('private words');
  });

  it('when transcript sharing is on, then only what the host passed is sent, and nothing when it passed none', async () => {
    const { fetch, calls } = scriptedFetch([200]);
    const t = setup(fetch, { shareTranscript: true });
    const lines = [
      { direction: 'in' as const, text: 'shared words' },
      { direction: 'out' as const, text: 'a reply' },
    ];
    t.notifier.notify('conv-j', 'emulator', requested, lines);
    t.notifier.notify('conv-k', 'emulator', requested);
    await t.notifier.whenIdle();
    const byConversation = new Map(calls.map((c) => [c.body.conversationId, c.body]));
    expect(byConversation.get('conv-j').transcript).toEqual(lines);
    expect(byConversation.get('conv-k')).not.toHaveProperty('transcript');
  });

  it('when two handoffs are sent, then they have different ids', async () => {
    const { fetch, calls } = scriptedFetch([200]);
    const t = setup(fetch, { newId: undefined });
    t.notifier.notify('conv-l', 'emulator', requested);
    t.notifier.notify('conv-l', 'emulator', requested);
    await t.notifier.whenIdle();
    expect(calls).toHaveLength(2);
    expect(calls[0]!.body.id).not.toBe(calls[1]!.body.id);
  });

  it('when the outcome has no handoff, then nothing is sent', async () => {
    const { fetch, calls } = scriptedFetch([200]);
    const t = setup(fetch);
    t.notifier.notify('conv-m', 'emulator', {
      answered: { topic: 'sciatica' },
      disposition: afterTriage.disposition,
    });
    await t.notifier.whenIdle();
    expect(calls).toHaveLength(0);
    expect(t.notifier.pending).toBe(0);
  });
});

describe('handoff webhook: in the background', () => {
  it('notify returns at once while the delivery is pending, and whenIdle waits for it', async () => {
    let answer!: (status: number) => void;
    const slow: HandoffFetch = () => new Promise((resolve) => (answer = (status) => resolve({ status })));
    const t = setup(slow);
    t.notifier.notify('conv-n', 'emulator', requested);
    expect(t.notifier.pending).toBe(1);

    let idle = false;
    const waiting = t.notifier.whenIdle().then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(idle).toBe(false);

    answer(200);
    await waiting;
    expect(idle).toBe(true);
    expect(t.notifier.pending).toBe(0);
    expect(t.successes()).toMatchObject([{ conversationId: 'conv-n', attempt: 1 }]);
  });

  it('whenIdle resolves at once when nothing is pending', async () => {
    const { fetch } = scriptedFetch([200]);
    const t = setup(fetch);
    await expect(t.notifier.whenIdle()).resolves.toBeUndefined();
  });

  it('when fetch throws synchronously, the log throws, or sleep rejects, then notify still does not throw and whenIdle resolves', async () => {
    const throwing: HandoffFetch = () => {
      throw new Error('sync boom');
    };
    const badLog = {
      info: () => {
        throw new Error('log down');
      },
      warn: () => {
        throw new Error('log down');
      },
      error: () => {
        throw new Error('log down');
      },
    };
    const notifier = createHandoffNotifier({
      url: URL_,
      shareTranscript: false,
      log: badLog as never,
      fetch: throwing,
      sleep: () => Promise.reject(new Error('no timers')),
    });
    expect(() => notifier.notify('conv-o', 'emulator', requested)).not.toThrow();
    await notifier.whenIdle();
    expect(notifier.pending).toBe(0);
  });

  it('when too many deliveries are pending, then new ones are dropped and logged instead of piling up', async () => {
    const untilAborted: HandoffFetch = (_url, init) =>
      new Promise((_resolve, reject) =>
        init.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    const t = setup(untilAborted, { maxPending: 2, maxAttempts: 1, timeoutMs: 20 });
    for (let i = 0; i < 3; i++) t.notifier.notify(`conv-p${i}`, 'emulator', requested);
    expect(t.notifier.pending).toBe(2);
    expect(t.failures()).toMatchObject([{ conversationId: 'conv-p2', error: 'queue_full' }]);
    await t.notifier.whenIdle();
    t.notifier.notify('conv-p3', 'emulator', requested);
    expect(t.notifier.pending).toBe(1); // room again once the others settled
    await t.notifier.whenIdle();
  });
});
