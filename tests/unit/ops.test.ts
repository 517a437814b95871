/** Pure pieces of operations: redaction, opening times, reading a name and a number, the signature. */
import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { readName, readPhone } from '../../src/bot/callback.js';
import { createHandoffNotifier } from '../../src/bot/handoff.js';
import { signWebhook } from '../../src/bot/webhook-signature.js';
import { parseConfig } from '../../src/config.js';
import { loadKnowledgeOrThrow } from '../../src/knowledge/load.js';
import { contentRequirements } from '../../src/knowledge/requirements.js';
import { clinicNow, nextOpening } from '../../src/knowledge/hours.js';
import { hashConversationId, parseDuration } from '../../src/ops/audit.js';
import { loadNameFinder, redact } from '../../src/ops/redact.js';
import { editTarget, groupReviewEntries, type ReviewEntry } from '../../src/ops/review.js';
import { unknownNotUnderstoodKeys } from '../../src/ops/turn-events.js';
import { REAL_KNOWLEDGE } from '../helpers/service.js';

const knowledge = loadKnowledgeOrThrow(REAL_KNOWLEDGE, contentRequirements());

describe('redaction', () => {
  beforeAll(() => loadNameFinder(), 60_000);
  it.each([
    ['my email is jo.bloggs+nhs@example.co.uk', 'bloggs', '[email]'],
    ['ring me on +44 7700 900123', '900123', '[phone]'],
    ['it started on 12/03/2025', '12/03', '[date]'],
    ['since the 3rd of March 2024', 'March', '[date]'],
    ['I am 47 and it hurts at 8', '47', '[number]'],
    ['my name is daniel okoro and my leg hurts', 'daniel', '[name]'],
    ['Dr Patel said it was sciatica', 'Patel', '[name]'],
    ['Can Sarah Jones book for me?', 'Sarah', '[name]'],
  ])(
    'when a message holds personal details (%s), then they are replaced by a marker',
    (text, secret, marker) => {
      const out = redact(text);
      expect(out).not.toContain(secret);
      expect(out).toContain(marker);
    },
  );

  it('when a message has nothing personal, then it is kept as it is', () => {
    expect(redact('does sciatica go away on its own')).toBe('does sciatica go away on its own');
    expect(redact("I'm having pain in my buttock")).toBe("I'm having pain in my buttock");
  });
});

describe('opening hours at a moment', () => {
  it('when it is Sunday, then the sample clinic is closed and opens tomorrow (Monday) at 08:00', () => {
    const sunday = new Date(Date.UTC(2026, 10, 22, 11, 0));
    expect(nextOpening(knowledge.clinic, sunday)).toEqual({ inDays: 1, day: 'monday', time: '08:00' });
    expect(clinicNow(knowledge, sunday)).toEqual({ open: false, day: 'tomorrow', time: '08:00' });
  });
  it('when it is early on a weekday, then it opens later today; during hours it is open', () => {
    const early = new Date(Date.UTC(2026, 10, 24, 6, 0)); // Tuesday 06:00 London
    expect(clinicNow(knowledge, early)).toEqual({ open: false, day: 'today', time: '08:00' });
    expect(clinicNow(knowledge, new Date(Date.UTC(2026, 10, 24, 12, 0)))).toEqual({ open: true });
  });
  it('when it is Saturday afternoon, then the next opening is two days later (Monday)', () => {
    const saturday = new Date(Date.UTC(2026, 10, 21, 15, 0));
    expect(nextOpening(knowledge.clinic, saturday)).toMatchObject({ inDays: 2, day: 'monday' });
  });
});

describe('reading a name and a number for a call back', () => {
  it.each([
    ['Sam Okafor', 'Sam Okafor'],
    ["it's Zoë O'Neill-Brown", "Zoë O'Neill-Brown"],
    ['my name is Li Wei', 'Li Wei'],
  ])('when "%s" is typed for the name, then the name is %s', (text, name) =>
    expect(readName(text)).toBe(name),
  );
  it.each(['07700 900123', '+44 (0)20 7946-0321', 'my number is 020 7946 0321'])(
    'when "%s" is typed for the number, then it is read',
    (text) => expect(readPhone(text)).toMatch(/\d{4}/),
  );
  it.each(['', '123', 'call me maybe', 'https://x.example/1234567'])(
    'when "%s" is typed, then it is not a number',
    (t) => expect(readPhone(t)).toBeUndefined(),
  );
  it.each(['', '12345', 'a b c d e f g h', 'me@example.com'])(
    'when "%s" is typed, then it is not a name',
    (t) => expect(readName(t)).toBeUndefined(),
  );
});

describe('webhook signature', () => {
  it('when a body is signed, then the signature is HMAC-SHA256 of id.timestamp.body with the decoded secret', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const headers = signWebhook(`whsec_${key.toString('base64')}`, 'msg_1', 1700000000, '{"a":1}');
    const expected = createHmac('sha256', key).update('msg_1.1700000000.{"a":1}').digest('base64');
    expect(headers).toEqual({
      'webhook-id': 'msg_1',
      'webhook-timestamp': '1700000000',
      'webhook-signature': `v1,${expected}`,
    });
  });
});

describe('audit and review helpers', () => {
  it('when a conversation id is hashed, then it is stable, short and not the id', () => {
    expect(hashConversationId('abc')).toBe(hashConversationId('abc'));
    expect(hashConversationId('abc')).not.toBe(hashConversationId('abd'));
    expect(hashConversationId('abc')).toMatch(/^[0-9a-f]{32}$/);
  });
  it('when a duration is given, then 7d, 24h and 30m are read and nonsense is not', () => {
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('soon')).toBeUndefined();
  });
  it('when similar questions are grouped, then they share a group with the closest entry and its file', () => {
    const e = (text: string, id?: string): ReviewEntry => ({
      type: 'unanswered',
      at: 0,
      reason: 'did_you_mean',
      text,
      guesses: id ? [{ id, confidence: 0.5 }] : [],
    });
    const groups = groupReviewEntries(
      [
        e('can I swim with sciatica', 'sciatica'),
        e('is swimming ok with sciatica', 'sciatica'),
        e('how much is parking'),
      ],
      knowledge,
    );
    expect(groups.map((g) => g.count)).toEqual([2, 1]);
    expect(groups[0]!.closest[0]!.id).toBe('sciatica');
    expect(groups[0]!.edit).toEqual({
      file: `knowledge/${knowledge.topics.get('sciatica')!.file}`,
      field: 'examples',
    });
    expect(editTarget(undefined).file).toBe('knowledge/intents.yaml');
  });
  it('when the not-understood reply keys are looked up, then the dialog can say each of them', () => {
    expect(unknownNotUnderstoodKeys()).toEqual([]);
  });
});

describe('operations configuration', () => {
  const base = { KNOWLEDGE_DIR: REAL_KNOWLEDGE };
  it('when nothing is set, then metrics are off, audit goes to a file, review is off, call backs need a receiver', () => {
    const c = parseConfig(base);
    expect(c.metrics.token).toBeUndefined();
    expect(c.audit.sink).toBe('file');
    expect(c.review).toEqual({ enabled: false, retentionDays: 30 });
    expect(c.handoff.callback).toBe(false);
  });
  it('when Redis is set, then the audit goes to a Redis stream; a webhook switches call backs on', () => {
    const c = parseConfig({
      ...base,
      REDIS_URL: 'redis://127.0.0.1:6379',
      HANDOFF_WEBHOOK_URL: 'https://x.example/h',
    });
    expect(c.audit.sink).toBe('redis');
    expect(c.handoff.callback).toBe(true);
  });
  it('when the values are wrong, then each is named', () => {
    expect(() =>
      parseConfig({
        ...base,
        METRICS_TOKEN: 'short',
        HANDOFF_WEBHOOK_SECRET: 'not-a-secret',
        AUDIT_SINK: 'redis',
        REVIEW_RETENTION_DAYS: '0',
      }),
    ).toThrow(
      /METRICS_TOKEN[\s\S]*REVIEW_RETENTION_DAYS[\s\S]*HANDOFF_WEBHOOK_SECRET[\s\S]*AUDIT_SINK=redis needs REDIS_URL/,
    );
  });
});

describe('handoff delivery for operations', () => {
  const outcome = { handoff: { reason: 'requested' as const, answers: {} } };
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

  it('when the receiver refuses for good, then the give-up is reported once (the failure metric)', async () => {
    let gaveUp = 0;
    const notifier = createHandoffNotifier({
      url: 'http://127.0.0.1:1/hook',
      shareTranscript: false,
      log: quiet,
      fetch: async () => ({ status: 400 }),
      sleep: async () => undefined,
      onGiveUp: () => gaveUp++,
    });
    notifier.notify('c1', 'emulator', outcome);
    await notifier.whenIdle();
    expect(gaveUp).toBe(1);
  });

  it('when a secret is set, then every attempt is signed with the same id and its own timestamp', async () => {
    const seen: Array<Record<string, string>> = [];
    let t = 1_700_000_000_000;
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const notifier = createHandoffNotifier({
      url: 'http://127.0.0.1:1/hook',
      shareTranscript: false,
      log: quiet,
      secret,
      now: () => (t += 60_000),
      fetch: async (_url, init) => {
        seen.push(init.headers);
        return { status: seen.length === 1 ? 503 : 200 };
      },
      sleep: async () => undefined,
    });
    notifier.notify('c1', 'emulator', outcome);
    await notifier.whenIdle();
    expect(seen).toHaveLength(2);
    expect(seen[0]!['webhook-id']).toBe(seen[1]!['webhook-id']);
    expect(seen[0]!['webhook-timestamp']).not.toBe(seen[1]!['webhook-timestamp']);
    expect(seen.every((h) => h['webhook-signature']?.startsWith('v1,'))).toBe(true);
  });
});
