/**
 * Fuzzing the real server over HTTP (issue 13): thousands of random activities and bodies on every
 * route a client can reach. Whatever arrives, the answer is never a 5xx and the process never dies
 * (an uncaught exception here would take the test process down with it, and is counted too).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChannelStub, startService, type Running } from '../helpers/service.js';

const RUNS_ACTIVITIES = 1500;
const RUNS_DIRECTLINE = 400;
const RUNS_RAW = 400;

describe('fuzzing every route with random activities and bodies', () => {
  let app: Running;
  let channel: Awaited<ReturnType<typeof startChannelStub>>;
  let token: { token: string; conversationId: string };
  const crashes: unknown[] = [];
  const onCrash = (error: unknown) => crashes.push(error);
  const statuses = new Map<number, number>();
  const serverErrors: Array<{ route: string; status: number; body: string }> = [];

  async function send(route: string, init: RequestInit): Promise<number> {
    const res = await fetch(`${app.url}${route}`, init);
    const body = await res.text();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500) serverErrors.push({ route, status: res.status, body: body.slice(0, 200) });
    return res.status;
  }

  beforeAll(async () => {
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    channel = await startChannelStub();
    app = await startService({
      LOG_LEVEL: 'silent',
      WEBCHAT_RATE_PER_MINUTE: '1000000',
      WEBCHAT_IP_RATE_PER_MINUTE: '1000000',
      WEBCHAT_TOKENS_PER_IP_PER_MINUTE: '1000000',
    });
    token = (await (await fetch(`${app.url}/api/webchat/token`, { method: 'POST' })).json()) as typeof token;
    await fetch(`${app.url}/v3/directline/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.token}` },
    });
  });
  afterAll(async () => {
    await app?.close();
    await channel?.close();
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  });

  const json = fc.jsonValue({ maxDepth: 3 });
  /** A field that is usually well-typed, sometimes any JSON, sometimes absent. */
  const field = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof(
      { arbitrary: valid, weight: 6 },
      { arbitrary: json, weight: 1 },
      { arbitrary: fc.constant(undefined), weight: 1 },
    );
  const words = fc.oneof(
    fc.constantFrom(
      'hi',
      'no',
      'yes',
      'yes ok',
      'check my symptoms',
      'help',
      'restart',
      'forget me',
      'I wet myself',
      '7/10',
      'stop',
      '',
    ),
    fc.string({ unit: 'grapheme', maxLength: 200 }),
  );
  const account = fc.record(
    { id: field(fc.constantFrom('user-1', 'bot-1', 'x')), name: field(fc.string()) },
    { requiredKeys: [] },
  );
  const activity = fc.record(
    {
      type: fc.oneof(
        {
          arbitrary: fc.constantFrom(
            'message',
            'conversationUpdate',
            'installationUpdate',
            'typing',
            'event',
            'invoke',
            'messageReaction',
            'endOfConversation',
          ),
          weight: 8,
        },
        { arbitrary: json, weight: 1 },
      ),
      id: field(fc.string({ maxLength: 40 })),
      text: field(words),
      channelId: field(fc.constantFrom('emulator', 'msteams', 'webchat', 'directline')),
      conversation: field(
        fc.record(
          {
            id: field(fc.constantFrom('fz-1', 'fz-2', 'fz-3', 'fz-4')),
            conversationType: field(fc.constantFrom('personal', 'groupChat', 'channel')),
          },
          { requiredKeys: [] },
        ),
      ),
      from: field(account),
      recipient: field(account),
      entities: field(
        fc.array(
          fc.record(
            {
              type: field(fc.constantFrom('mention', 'clientInfo')),
              mentioned: field(account),
              text: field(fc.string()),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
      ),
      membersAdded: field(fc.array(account, { maxLength: 3 })),
      membersRemoved: field(fc.array(account, { maxLength: 2 })),
      attachments: field(
        fc.array(fc.record({ contentType: field(fc.string()) }, { requiredKeys: [] }), { maxLength: 2 }),
      ),
      value: field(fc.oneof(fc.record({ payload: field(fc.string()) }, { requiredKeys: [] }), json)),
      action: field(fc.constantFrom('add', 'remove')),
      name: field(fc.string({ maxLength: 20 })),
      deliveryMode: fc.constantFrom('expectReplies', 'expectReplies', undefined, 'normal'),
    },
    { requiredKeys: [] },
  );

  it(`when ${RUNS_ACTIVITIES} random activities are posted to /api/messages, then none gets a 5xx`, async () => {
    await fc.assert(
      fc.asyncProperty(activity, async (a) => {
        const body = { serviceUrl: channel.url, ...a };
        const status = await send('/api/messages', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS_ACTIVITIES },
    );
  }, 120_000);

  it(`when ${RUNS_DIRECTLINE} random activities are posted to the local Direct Line, then none gets a 5xx`, async () => {
    await fc.assert(
      fc.asyncProperty(activity, async (a) => {
        const status = await send(`/v3/directline/conversations/${token.conversationId}/activities`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token.token}` },
          body: JSON.stringify(a),
        });
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS_DIRECTLINE },
    );
  }, 120_000);

  it(`when ${RUNS_RAW} random raw bodies, content types and encodings hit random routes, then none gets a 5xx`, async () => {
    const route = fc.constantFrom(
      '/api/messages',
      '/api/webchat/token',
      '/v3/directline/tokens/generate',
      '/v3/directline/tokens/refresh',
      '/v3/directline/conversations',
      '/v3/directline/conversations/x/activities',
      '/healthz',
      '/nowhere',
    );
    const body = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      json.map((v) => JSON.stringify(v) ?? 'null'),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const headers = fc.record(
      {
        'content-type': fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/octet-stream',
          'application/json; charset=latin1',
        ),
        'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown'),
        authorization: fc.oneof(
          fc.constant(`Bearer ${'a'.repeat(10)}`),
          fc.string({ maxLength: 60 }).map((s) => `Bearer ${s.replace(/[^\x21-\x7e]/g, '')}`),
        ),
      },
      { requiredKeys: ['content-type'] },
    );
    const method = fc.constantFrom('POST', 'POST', 'PUT', 'GET', 'DELETE');
    await fc.assert(
      fc.asyncProperty(route, body, headers, method, async (r, b, h, m) => {
        const status = await send(r, { method: m, headers: h, body: m === 'GET' ? undefined : b });
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS_RAW },
    );
  }, 120_000);

  it('when the fuzzing is over, then no request got a 5xx, nothing crashed, and the server still answers', async () => {
    expect(serverErrors).toEqual([]);
    expect(crashes).toEqual([]);
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(RUNS_ACTIVITIES + RUNS_DIRECTLINE + RUNS_RAW);
    // Some of the random activities were good enough to reach the bot.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(100);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });
});
