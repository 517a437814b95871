import { afterEach, describe, expect, it } from 'vitest';
import type { Brain } from '../../src/bot/brain.js';
import { mountWebChat, type WebChatOptions } from '../../src/channels/directline.js';
import { renderText } from '../../src/knowledge/render.js';
import { readBody, startService, type Running } from '../helpers/service.js';

const DL = '/v3/directline';

interface Call {
  status: number;
  json: any;
  headers: Headers;
}

async function call(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Call> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const { json } = await readBody(res);
  return { status: res.status, json, headers: res.headers };
}

/** A service with the web chat mounted, a clock the test moves, and the built-in mount (if any) off. */
async function start(
  options: WebChatOptions = {},
  env: Record<string, string> = {},
  brain?: Brain,
): Promise<Running & { advance(ms: number): void }> {
  let now = Date.UTC(2025, 0, 6, 9, 0, 0);
  const running = await startService(
    { WEBCHAT_ENABLED: 'false', ...env },
    { brain, mount: (server, parts) => mountWebChat(server, parts, { clock: () => now, ...options }) },
  );
  return Object.assign(running, { advance: (ms: number) => void (now += ms) });
}

/** Token, then start: the two calls the page and the client make. */
async function open(url: string): Promise<{ conversationId: string; token: string }> {
  const issued = await call(url, 'POST', '/api/webchat/token');
  expect(issued.status).toBe(200);
  const started = await call(url, 'POST', `${DL}/conversations`, { token: issued.json.token, body: {} });
  expect(started.status).toBe(201);
  expect(started.json.conversationId).toBe(issued.json.conversationId);
  return { conversationId: started.json.conversationId, token: started.json.token };
}

function message(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'message', text, from: { id: 'someone', role: 'user' }, ...extra };
}

let app: (Running & { advance(ms: number): void }) | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('local Direct Line: conversation flow', () => {
  it('when a conversation starts, then the token names it, it expires in the configured time, and the bot welcomes the user', async () => {
    app = await start({ tokenTtlSeconds: 1500 });
    const issued = await call(app.url, 'POST', '/api/webchat/token');
    expect(issued.status).toBe(200);
    expect(issued.json).toMatchObject({
      conversationId: expect.any(String),
      token: expect.any(String),
      expires_in: 1500,
    });
    const claims = JSON.parse(Buffer.from(issued.json.token.split('.')[1], 'base64url').toString());
    expect(claims.conv).toBe(issued.json.conversationId);
    expect(claims.user).toMatch(/^dl_/);

    const started = await call(app.url, 'POST', `${DL}/conversations`, {
      token: issued.json.token,
      body: {},
    });
    expect(started.status).toBe(201);
    const polled = await call(
      app.url,
      'GET',
      `${DL}/conversations/${issued.json.conversationId}/activities`,
      {
        token: started.json.token,
      },
    );
    expect(polled.status).toBe(200);
    expect(polled.json.activities.length).toBeGreaterThan(0);
    const welcome = polled.json.activities[0];
    expect(welcome).toMatchObject({
      type: 'message',
      from: { role: 'bot' },
      recipient: { id: claims.user },
      conversation: { id: issued.json.conversationId },
      channelId: 'webchat',
    });
    // The welcome's first bubble is a card (its data notice is one tap away): it has words either way.
    const said: string = welcome.text ?? welcome.attachments?.[0]?.content?.fallbackText ?? '';
    expect(said.length).toBeGreaterThan(0);
    expect(typeof polled.json.watermark).toBe('string');

    // Starting again with the same token returns the same conversation and no second welcome.
    const again = await call(app.url, 'POST', `${DL}/conversations`, { token: started.json.token, body: {} });
    expect(again.status).toBe(200);
    expect(again.json.conversationId).toBe(issued.json.conversationId);
    const after = await call(app.url, 'GET', `${DL}/conversations/${issued.json.conversationId}/activities`, {
      token: started.json.token,
    });
    expect(after.json.activities).toHaveLength(polled.json.activities.length);
  });

  it('when the user posts, then the poll after the watermark returns the echo (sender from the token) and the bot reply, and nothing the second time', async () => {
    app = await start();
    const { conversationId, token } = await open(app.url);
    const activities = `${DL}/conversations/${conversationId}/activities`;
    const first = await call(app.url, 'GET', activities, { token });
    const mark = first.json.watermark;

    const posted = await call(app.url, 'POST', activities, {
      token,
      body: message('my back hurts', {
        from: { id: 'forged-user', role: 'user' },
        channelData: { clientActivityID: 'c-1' },
      }),
    });
    expect(posted.status).toBe(200);
    expect(typeof posted.json.id).toBe('string');

    const next = await call(app.url, 'GET', `${activities}?watermark=${mark}`, { token });
    expect(next.status).toBe(200);
    const [echo, ...replies] = next.json.activities;
    const user = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).user;
    expect(echo).toMatchObject({
      id: posted.json.id,
      type: 'message',
      from: { id: user, role: 'user' },
      channelData: { clientActivityID: 'c-1' },
    });
    expect(replies.length).toBeGreaterThan(0);
    for (const reply of replies) {
      expect(reply).toMatchObject({
        from: { role: 'bot' },
        replyToId: posted.json.id,
        conversation: { id: conversationId },
      });
    }
    const ids = next.json.activities.map((a: any) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(next.json.watermark).not.toBe(mark);

    const empty = await call(app.url, 'GET', `${activities}?watermark=${next.json.watermark}`, { token });
    expect(empty.json.activities).toEqual([]);
    expect(empty.json.watermark).toBe(next.json.watermark);
  });

  it('when a conversation has more activities than the limit, then only the newest are kept and watermarks keep counting', async () => {
    app = await start({ maxActivities: 3 });
    const { conversationId, token } = await open(app.url);
    const activities = `${DL}/conversations/${conversationId}/activities`;
    for (let i = 0; i < 4; i++) {
      expect(
        (await call(app.url, 'POST', activities, { token, body: message(`question ${i}`) })).status,
      ).toBe(200);
    }
    const all = await call(app.url, 'GET', activities, { token });
    expect(all.json.activities).toHaveLength(3);
    expect(Number(all.json.watermark)).toBeGreaterThanOrEqual(8);
  });

  it("when the bot's turn fails, then the apology the adapter sends reaches the conversation", async () => {
    const failing: Brain = {
      turn(_record, input, now) {
        if (input.kind === 'message') throw new Error('boom');
        return { record: { v: 1, lastSeen: now }, replies: [{ key: 'welcome.intro' }], outcome: {} };
      },
    };
    app = await start({}, {}, failing);
    const { conversationId, token } = await open(app.url);
    const activities = `${DL}/conversations/${conversationId}/activities`;
    const posted = await call(app.url, 'POST', activities, { token, body: message('hello') });
    expect(posted.status).toBe(200);
    const polled = await call(app.url, 'GET', activities, { token });
    const reply = polled.json.activities.find((a: any) => a.replyToId === posted.json.id);
    expect(reply?.text).toBe(renderText(app.service.knowledge, 'system.error'));
  });

  it('when a message is posted, then its text is not written to the logs', async () => {
    app = await start();
    const { conversationId, token } = await open(app.url);
    await call(app.url, 'POST', `${DL}/conversations/${conversationId}/activities`, {
      token,
      body: message('zebra-unique-words'),
    });
    expect(app.logs.lines.join('\n')).not.toContain('zebra-unique-words');
  });

  it('when the bot requires Bot Framework authentication (MicrosoftAppId set), then local turns still run in-process', async () => {
    const botAuth = {
      MicrosoftAppType: 'MultiTenant',
      MicrosoftAppId: '11111111-2222-3333-4444-555555555555',
      MicrosoftAppPassword: 'not-a-real-secret',
    };
    app = await start(
      { botAuth },
      { MicrosoftAppId: botAuth.MicrosoftAppId, MicrosoftAppPassword: botAuth.MicrosoftAppPassword },
    );
    const { conversationId, token } = await open(app.url);
    const polled = await call(app.url, 'GET', `${DL}/conversations/${conversationId}/activities`, { token });
    expect(polled.json.activities[0]).toMatchObject({ from: { id: botAuth.MicrosoftAppId, role: 'bot' } });
  });
});

describe('local Direct Line: security', () => {
  it('when a token is used on another conversation, then reading and posting are refused with 403', async () => {
    app = await start();
    const a = await open(app.url);
    const b = await open(app.url);
    const read = await call(app.url, 'GET', `${DL}/conversations/${b.conversationId}/activities`, {
      token: a.token,
    });
    expect(read.status).toBe(403);
    const write = await call(app.url, 'POST', `${DL}/conversations/${b.conversationId}/activities`, {
      token: a.token,
      body: message('hello'),
    });
    expect(write.status).toBe(403);
    const reconnect = await call(app.url, 'GET', `${DL}/conversations/${b.conversationId}`, {
      token: a.token,
    });
    expect(reconnect.status).toBe(403);
  });

  it('when a token is altered to name another conversation, then its signature no longer holds and it is refused', async () => {
    app = await start();
    const a = await open(app.url);
    const b = await open(app.url);
    const [header, payload, signature] = a.token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = [
      header,
      Buffer.from(JSON.stringify({ ...claims, conv: b.conversationId })).toString('base64url'),
      signature,
    ].join('.');
    const res = await call(app.url, 'GET', `${DL}/conversations/${b.conversationId}/activities`, {
      token: forged,
    });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('TokenInvalid');
  });

  it('when no token is sent, then the request is refused with 401', async () => {
    app = await start();
    const { conversationId } = await open(app.url);
    const res = await call(app.url, 'GET', `${DL}/conversations/${conversationId}/activities`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('when a token has expired, then it is refused with 403, and a token refreshed in time keeps working', async () => {
    app = await start({ tokenTtlSeconds: 1800, idleMinutes: 120 });
    const { conversationId, token } = await open(app.url);
    const activities = `${DL}/conversations/${conversationId}/activities`;
    app.advance(1000 * 1000);
    const refreshed = await call(app.url, 'POST', `${DL}/tokens/refresh`, { token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.conversationId).toBe(conversationId);
    app.advance(900 * 1000); // 1900 s after the first token
    const expired = await call(app.url, 'GET', activities, { token });
    expect(expired.status).toBe(403);
    expect(expired.json.error.code).toBe('TokenExpired');
    const stillValid = await call(app.url, 'GET', activities, { token: refreshed.json.token });
    expect(stillValid.status).toBe(200);
    const lateRefresh = await call(app.url, 'POST', `${DL}/tokens/refresh`, { token });
    expect(lateRefresh.status).toBe(403);
  });

  it('when a message is larger than the limit, then it is refused with 413; at the limit it is accepted', async () => {
    app = await start({ maxTextBytes: 100 });
    const { conversationId, token } = await open(app.url);
    const activities = `${DL}/conversations/${conversationId}/activities`;
    const atLimit = 'é'.repeat(50); // 100 bytes in UTF-8
    expect((await call(app.url, 'POST', activities, { token, body: message(atLimit) })).status).toBe(200);
    const over = await call(app.url, 'POST', activities, { token, body: message(`${atLimit}a`) });
    expect(over.status).toBe(413);
    expect(over.json.error.code).toBe('MessageTooLarge');
    const padded = await call(app.url, 'POST', activities, {
      token,
      body: message('short', { channelData: { padding: 'x'.repeat(20_000) } }),
    });
    expect(padded.status).toBe(413);
  });

  it('when a conversation sends requests faster than its rate, then it gets 429 with Retry-After, and may go on after waiting', async () => {
    app = await start({ ratePerMinute: 5 });
    const { conversationId, token } = await open(app.url); // the start is request 1
    const activities = `${DL}/conversations/${conversationId}/activities`;
    for (let i = 0; i < 4; i++) expect((await call(app.url, 'GET', activities, { token })).status).toBe(200);
    const limited = await call(app.url, 'GET', activities, { token });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another conversation is not affected.
    const other = await open(app.url);
    expect(
      (
        await call(app.url, 'GET', `${DL}/conversations/${other.conversationId}/activities`, {
          token: other.token,
        })
      ).status,
    ).toBe(200);
    app.advance(Number(limited.headers.get('retry-after')) * 1000);
    expect((await call(app.url, 'GET', activities, { token })).status).toBe(200);
  });

  it('when one address asks for new conversations too fast, then it gets 429', async () => {
    app = await start({ tokensPerIpPerMinute: 2 });
    expect((await call(app.url, 'POST', '/api/webchat/token')).status).toBe(200);
    expect((await call(app.url, 'POST', `${DL}/tokens/generate`)).status).toBe(200);
    const third = await call(app.url, 'POST', '/api/webchat/token');
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBeTruthy();
  });

  it('when one address sends more requests than its rate, then it gets 429 whatever the conversation', async () => {
    app = await start({ ipRatePerMinute: 4 });
    const { conversationId, token } = await open(app.url); // 2 requests
    await call(app.url, 'GET', `${DL}/conversations/${conversationId}/activities`, { token });
    await call(app.url, 'GET', `${DL}/conversations/${conversationId}/activities`, { token });
    const res = await call(app.url, 'GET', `${DL}/conversations/${conversationId}/activities`, { token });
    expect(res.status).toBe(429);
  });

  it('when a conversation has been idle longer than the limit, then it is forgotten (404)', async () => {
    app = await start({ idleMinutes: 5 });
    const { conversationId, token } = await open(app.url);
    app.advance(6 * 60_000);
    const res = await call(app.url, 'GET', `${DL}/conversations/${conversationId}/activities`, { token });
    expect(res.status).toBe(404);
  });

  it('when the live conversation cap is reached, then a new one is refused with 503', async () => {
    app = await start({ maxConversations: 1 });
    await open(app.url);
    const issued = await call(app.url, 'POST', '/api/webchat/token');
    const res = await call(app.url, 'POST', `${DL}/conversations`, { token: issued.json.token, body: {} });
    expect(res.status).toBe(503);
  });

  it('when the channel is disabled, then the page, the token route and every Direct Line route answer 404', async () => {
    app = await start({ enabled: false });
    const token = 'a.b.c';
    const routes: Array<[string, string]> = [
      ['GET', '/'],
      ['POST', '/api/webchat/token'],
      ['POST', `${DL}/tokens/generate`],
      ['POST', `${DL}/tokens/refresh`],
      ['POST', `${DL}/conversations`],
      ['GET', `${DL}/conversations/x/activities`],
      ['POST', `${DL}/conversations/x/activities`],
    ];
    for (const [method, path] of routes) {
      const res = await call(app.url, method, path, { token, body: method === 'POST' ? {} : undefined });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });
});

describe('web chat with Azure Direct Line (WEBCHAT_DIRECTLINE_SECRET)', () => {
  it('when the page asks for a token, then our server exchanges the secret with Azure and the page gets only the token; local routes are off', async () => {
    const requests: Array<{ url: string; init: RequestInit }> = [];
    const stub = (async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      return new Response(
        JSON.stringify({ conversationId: 'azure-conv', token: 'azure-token', expires_in: 3600 }),
        {
          status: 200,
          headers: { 'content-type': 'application/json' },
        },
      );
    }) as unknown as typeof fetch;
    const secret = 'dl-secret-value-for-test';
    app = await start({
      directLineSecret: secret,
      fetch: stub,
      directLineDomain: 'https://europe.directline.botframework.com/v3/directline',
    });

    const res = await call(app.url, 'POST', '/api/webchat/token');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      token: 'azure-token',
      conversationId: 'azure-conv',
      domain: 'https://europe.directline.botframework.com/v3/directline',
    });
    expect(JSON.stringify(res.json)).not.toContain(secret);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe('https://europe.directline.botframework.com/v3/directline/tokens/generate');
    expect(new Headers(requests[0]!.init.headers).get('authorization')).toBe(`Bearer ${secret}`);

    const page = await fetch(`${app.url}/`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(
      /connect-src 'self' https:\/\/europe\.directline\.botframework\.com wss:\/\/europe\.directline\.botframework\.com/,
    );
    expect(await page.text()).not.toContain(secret);
    expect((await call(app.url, 'POST', `${DL}/conversations`, { token: 'x', body: {} })).status).toBe(404);
  });

  it('when Azure does not answer properly, then the token route answers 502 without details', async () => {
    const stub = (async () => new Response('nope', { status: 403 })) as unknown as typeof fetch;
    app = await start({ directLineSecret: 'secret', fetch: stub });
    const res = await call(app.url, 'POST', '/api/webchat/token');
    expect(res.status).toBe(502);
    expect(res.json.error.code).toBe('DirectLineUnavailable');
  });
});

describe('web chat page', () => {
  it('when the page is fetched, then it carries a strict CSP whose nonce matches its scripts, and the bundle comes from our server with a long cache', async () => {
    app = await start();
    const page = await fetch(`${app.url}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toMatch(/connect-src 'self'(;|$)/);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    const html = await page.text();
    expect(html).toContain(
      `<title>${app.service.knowledge.clinic.name.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}</title>`,
    );
    const scripts = [...html.matchAll(/<script src="([^"]+)" nonce="([^"]+)"/g)];
    expect(scripts.length).toBe(2);
    for (const [, src, scriptNonce] of scripts) {
      expect(src!.startsWith('/')).toBe(true);
      expect(scriptNonce).toBe(nonce);
      const asset = await fetch(`${app.url}${src}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toContain('javascript');
      expect(asset.headers.get('cache-control')).toContain('immutable');
    }
    const second = await fetch(`${app.url}/`);
    expect(second.headers.get('content-security-policy')).not.toBe(csp);
  });
});
