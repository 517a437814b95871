import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderText } from '../../src/knowledge/render.js';
import type { Brain } from '../../src/bot/brain.js';
import { textOf } from '../../src/bot/present.js';
import { messageActivity, post, startChannelStub, startService, type Running } from '../helpers/service.js';

describe('POST /api/messages', () => {
  let app: Running;
  beforeAll(async () => {
    app = await startService();
  });
  afterAll(async () => {
    await app.close();
  });

  it('when a message is posted with deliveryMode expectReplies, then the replies come back in the response body', async () => {
    const res = await post(app.url, messageActivity('hello there', { conversation: { id: 'c-expect' } }));
    expect(res.status).toBe(200);
    expect(Array.isArray(res.json.activities)).toBe(true);
    expect(res.json.activities.length).toBeGreaterThan(0);
    expect(res.json.activities[0].type).toBe('message');
    expect(res.json.activities[0].conversation.id).toBe('c-expect');
  });

  it('when a message is posted in the normal mode, then the bot sends its reply to the channel serviceUrl', async () => {
    const channel = await startChannelStub();
    try {
      const activity = messageActivity('hi', {
        deliveryMode: undefined,
        serviceUrl: channel.url,
        conversation: { id: 'c-normal' },
      });
      const res = await post(app.url, activity);
      expect(res.status).toBe(200);
      expect(channel.received.length).toBeGreaterThan(0);
      const sent = channel.received[0]!;
      expect(sent.path).toContain('/v3/conversations/c-normal/activities');
      expect(sent.body.type).toBe('message');
      expect(sent.body.replyToId).toBe(activity.id);
    } finally {
      await channel.close();
    }
  });

  it('when a user joins (conversationUpdate), then the bot welcomes them with the starting choices', async () => {
    const res = await post(app.url, {
      ...messageActivity(''),
      type: 'conversationUpdate',
      text: undefined,
      conversation: { id: 'c-join' },
      membersAdded: [{ id: 'user-1' }],
    });
    expect(res.status).toBe(200);
    const welcome = res.json.activities as any[];
    expect(welcome.length).toBeGreaterThan(0);
    expect(welcome.some((a) => (a.suggestedActions?.actions?.length ?? 0) >= 3)).toBe(true);
    // The emergency number is part of the welcome, from the clinic profile.
    expect(welcome.map((a) => textOf(a)).join('\n')).toContain(app.service.knowledge.clinic.emergencyNumber);
  });

  it('when only the bot itself is added to a conversation, then nothing is said', async () => {
    const res = await post(app.url, {
      ...messageActivity(''),
      type: 'conversationUpdate',
      text: undefined,
      conversation: { id: 'c-join-bot' },
      membersAdded: [{ id: 'bot-1' }],
    });
    expect(res.status).toBe(200);
    expect(res.json?.activities ?? []).toHaveLength(0);
  });

  it.each([
    ['empty text', '', undefined],
    ['whitespace', '   \n ', undefined],
    ['only emoji', '🙂🙂', undefined],
    ['only an attachment', '', [{ contentType: 'image/png', contentUrl: 'https://example.org/x.png' }]],
  ])('when a message has %s, then the bot still replies helpfully', async (label, text, attachments) => {
    const res = await post(
      app.url,
      messageActivity(text, { conversation: { id: `c-empty-${label.replace(/ /g, '-')}` }, attachments }),
    );
    expect(res.status).toBe(200);
    expect(res.json.activities.length).toBeGreaterThan(0);
    expect(textOf(res.json.activities[0]).length).toBeGreaterThan(0);
  });

  it('when someone asks for a symptom check in a Teams group chat, then the bot declines there and the answer names no symptom', async () => {
    const res = await post(
      app.url,
      messageActivity('<at>Clinic bot</at> check my symptoms', {
        channelId: 'msteams',
        conversation: { id: 'c-teams-group', conversationType: 'groupChat' },
        entities: [
          { type: 'mention', mentioned: { id: 'bot-1', name: 'Clinic bot' }, text: '<at>Clinic bot</at>' },
        ],
      }),
    );
    expect(res.status).toBe(200);
    const texts = (res.json.activities as any[]).map((a) => textOf(a)).join('\n');
    expect(texts).toContain(renderText(app.service.knowledge, 'triage.private_only').split('\n')[0]);
    expect(texts).not.toContain(renderText(app.service.knowledge, 'triage.ask_emergency').split('\n')[0]);
  });

  it('when the body is not JSON, then the answer is 400 with a short JSON error', async () => {
    const res = await post(app.url, '{"type": "message", oops');
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBeTypeOf('string');
    expect(res.text).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it.each([
    ['an array', '[]'],
    ['a number', '42'],
    ['an object with no type', '{"text":"hi"}'],
    ['an activity with no conversation', JSON.stringify({ type: 'message', serviceUrl: 'http://x' })],
  ])('when the body is %s, then the answer is 400', async (_label, body) => {
    const res = await post(app.url, body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('BadRequest');
  });

  it('when the body is larger than the limit, then the answer is 413', async () => {
    const res = await post(app.url, messageActivity('x'.repeat(300_000)));
    expect(res.status).toBe(413);
    expect(res.json.error).toBeDefined();
  });

  it('when a route does not exist, then the answer is a JSON 404', async () => {
    const res = await fetch(`${app.url}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBeTypeOf('string');
  });

  it('when /healthz and /readyz are asked, then both answer 200', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as any).checks.storage).toBe('ok');
  });

  it('when turns are logged, then no message text appears in the logs', async () => {
    const secret = 'my-very-private-symptom-words';
    await post(app.url, messageActivity(`i have ${secret}`, { conversation: { id: 'c-privacy' } }));
    const all = app.logs.lines.join('\n');
    expect(app.logs.records().some((r) => r.msg === 'turn' && r.conversationId === 'c-privacy')).toBe(true);
    expect(all).not.toContain(secret);
  });
});

describe('the turn-error handler', () => {
  let app: Running;
  let failNext = true;
  const flaky: Brain = {
    turn(_record, _input, now) {
      if (failNext) {
        failNext = false;
        throw new Error('boom with secret patient words');
      }
      return {
        record: { v: 1, lastSeen: now },
        replies: [{ key: 'system.error' }, { key: 'format.and' }],
        outcome: {},
      };
    },
  };
  beforeAll(async () => {
    app = await startService({}, { brain: flaky });
  });
  afterAll(async () => {
    await app.close();
  });

  it('when a turn fails, then the patient gets the apology with the phone number, the log gets a code and the conversation id, and the next message works', async () => {
    const res = await post(
      app.url,
      messageActivity('secret patient words', { conversation: { id: 'c-error' } }),
    );
    expect(res.status).toBe(200);
    expect(res.json.activities[0].text).toBe(renderText(app.service.knowledge, 'system.error'));
    expect(res.json.activities[0].text).toContain(app.service.knowledge.clinic.phone);
    const failure = app.logs.records().find((r) => r.msg === 'turn failed');
    expect(failure).toMatchObject({ code: 'BOT_TURN_FAILED', conversationId: 'c-error' });
    expect(app.logs.lines.join('\n')).not.toContain('secret patient words');

    const again = await post(app.url, messageActivity('hello', { conversation: { id: 'c-error' } }));
    expect(again.status).toBe(200);
    expect(again.json.activities).toHaveLength(2); // the brain ran normally this time
  });
});

describe('authentication', () => {
  let app: Running;
  beforeAll(async () => {
    app = await startService({
      MicrosoftAppId: '00000000-0000-0000-0000-000000000001',
      MicrosoftAppPassword: 'not-a-real-secret',
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it('when an app id is set and a request has no token, then the answer is 401', async () => {
    const res = await post(app.url, messageActivity('hi', { conversation: { id: 'c-auth' } }));
    expect(res.status).toBe(401);
  });

  it('when an app id is set and the token is garbage, then the answer is 401', async () => {
    const res = await post(app.url, messageActivity('hi', { conversation: { id: 'c-auth2' } }), {
      authorization: 'Bearer abc.def.ghi',
    });
    expect(res.status).toBe(401);
  });
});
