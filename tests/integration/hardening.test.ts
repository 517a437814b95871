/**
 * Requests that used to crash the server, leak internals or wipe a triage (issue 13, defects 1, 4,
 * 5, 7, 8), each sent to the real server over HTTP.
 */
import { once } from 'node:events';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { MemoryStore } from '../../src/storage/store.js';
import {
  messageActivity,
  post,
  REAL_KNOWLEDGE,
  ROOT,
  startService,
  type Running,
} from '../helpers/service.js';

/** A raw request, so the body and headers are exactly what the test says. */
async function raw(
  url: string,
  path: string,
  body: Buffer | string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

async function alive(app: Running): Promise<void> {
  const res = await fetch(`${app.url}/healthz`);
  expect(res.status).toBe(200);
}

describe('request bodies with a content encoding (defect 1)', () => {
  let app: Running;
  beforeAll(async () => {
    app = await startService();
  });
  afterAll(async () => {
    await app.close();
  });

  it.each([['/api/messages'], ['/v3/directline/conversations'], ['/api/webchat/token'], ['/nowhere']])(
    'when %s gets Content-Encoding gzip with a body that is not gzip, then 415 and the server lives',
    async (path) => {
      const res = await raw(app.url, path, 'this is not gzip at all', {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      });
      expect(res.status).toBe(415);
      expect(JSON.parse(res.text).error.code).toBe('UnsupportedMediaType');
      await alive(app);
    },
  );

  it('when a gzip bomb is posted (150 MB inflated), then 415 without inflating it, and memory stays flat', async () => {
    const bomb = gzipSync(Buffer.alloc(150 * 1024 * 1024, 0x20));
    const rssBefore = process.memoryUsage().rss;
    const res = await raw(app.url, '/api/messages', bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(415);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
    await alive(app);
  });

  it('when the encoding is deflate or a list, then 415; identity is read as usual', async () => {
    for (const encoding of ['deflate', 'br', 'identity, gzip']) {
      const res = await raw(app.url, '/api/messages', '{}', {
        'content-type': 'application/json',
        'content-encoding': encoding,
      });
      expect(res.status).toBe(415);
    }
    const identity = await raw(app.url, '/api/messages', JSON.stringify(messageActivity('hi')), {
      'content-type': 'application/json',
      'content-encoding': 'identity',
    });
    expect(identity.status).toBe(200);
  });
});

describe('malformed activities (defect 5)', () => {
  let app: Running;
  beforeAll(async () => {
    app = await startService();
  });
  afterAll(async () => {
    await app.close();
  });

  it.each([
    ['text as a number', { text: 42 }],
    ['text as an object', { text: { a: 1 } }],
    ['text as an array', { text: ['no'] }],
    ['entities as an object', { entities: { type: 'mention' } }],
    ['entities with a non-object', { entities: [7] }],
    ['a mention whose mentioned is a string', { entities: [{ type: 'mention', mentioned: 'bot' }] }],
    ['membersAdded as a string', { type: 'conversationUpdate', membersAdded: 'everyone' }],
    ['membersAdded with a non-object', { type: 'conversationUpdate', membersAdded: [null] }],
    ['attachments as an object', { attachments: { contentType: 'image/png' } }],
    ['from as a string', { from: 'user-1' }],
  ])('when an activity has %s, then 400 with a short JSON error', async (_name, extra) => {
    const res = await post(app.url, messageActivity('hi', { conversation: { id: 'c-malformed' }, ...extra }));
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('BadRequest');
    expect(res.text.length).toBeLessThan(300);
  });

  it('when a turn fails in the middle of a symptom check, then the triage in progress is kept', async () => {
    const conv = 'c-keep-triage';
    let question: unknown;
    for (const text of ['hi', 'can you check my symptoms', 'yes ok']) {
      const res = await post(app.url, messageActivity(text, { conversation: { id: conv } }));
      expect(res.status).toBe(200);
      question = res.json.activities.map((a: any) => a.text);
    }
    const before = await app.service.store.load(conv);
    expect(JSON.stringify(before?.record.dialog)).toContain('triage');
    // A message whose replies cannot be delivered (the channel refuses them): the turn fails.
    const channel = http.createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"BadArgument","message":"refused"}}');
    });
    channel.listen(0, '127.0.0.1');
    await once(channel, 'listening');
    const { port } = channel.address() as { port: number };
    try {
      const res = await post(
        app.url,
        messageActivity('no', {
          conversation: { id: conv },
          deliveryMode: undefined,
          serviceUrl: `http://127.0.0.1:${port}`,
        }),
      );
      expect(res.status).toBeLessThan(500);
    } finally {
      await new Promise((r) => channel.close(() => r(undefined)));
    }
    expect(app.logs.records().some((r) => r.msg === 'turn failed' && r.conversationId === conv)).toBe(true);
    const after = await app.service.store.load(conv);
    expect(after).toBeDefined();
    expect(JSON.stringify(after!.record.dialog)).toContain('triage');
    // The patient never saw the next question: their next message gets the one they did see again.
    const next = await post(app.url, messageActivity('no', { conversation: { id: conv } }));
    expect(next.json.activities.map((a: any) => a.text)).toEqual(question);
    expect((await app.service.store.load(conv))!.record.dialog).toEqual(before!.record.dialog);
  });
});

/** A stand-in for the Bot Framework OpenID metadata endpoint, on loopback: it always fails. */
async function brokenMetadata(): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('metadata unavailable');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/.well-known/openidconfiguration`,
    hits: () => hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function forgedJwt(issuer: string): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${enc({ alg: 'RS256', typ: 'JWT', kid: 'forged' })}.${enc({
    iss: issuer,
    aud: 'test-app-id',
    serviceurl: 'https://smba.trafficmanager.net/emea/',
    nbf: now - 10,
    exp: now + 3600,
  })}.${Buffer.from('not a signature').toString('base64url')}`;
}

describe('forged Bot Framework tokens (defect 4)', () => {
  let app: Running;
  let metadata: Awaited<ReturnType<typeof brokenMetadata>>;
  beforeAll(async () => {
    metadata = await brokenMetadata();
    app = await startService(
      { MicrosoftAppId: 'test-app-id', MicrosoftAppPassword: 'test-password', HOST: '127.0.0.1' },
      {
        authOverrides: {
          ToBotFromChannelOpenIdMetadataUrl: metadata.url,
          ToBotFromEmulatorOpenIdMetadataUrl: metadata.url,
        },
      },
    );
  });
  afterAll(async () => {
    await app.close();
    await metadata.close();
  });
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['no token', undefined],
    ['a token that is not a JWT', 'Bearer abc.def'],
    ['a forged channel token (metadata fetch fails)', `Bearer ${forgedJwt('https://api.botframework.com')}`],
    [
      'a forged emulator token',
      `Bearer ${forgedJwt('https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/')}`,
    ],
  ])(
    'when a request carries %s, then 401 with a short JSON body, one log line and no stack',
    async (_name, auth) => {
      const consoleError = vi.spyOn(console, 'error');
      const linesBefore = app.logs.lines.length;
      const res = await post(
        app.url,
        messageActivity('hi', {
          serviceUrl: 'https://smba.trafficmanager.net/emea/',
          deliveryMode: undefined,
        }),
        auth ? { authorization: auth } : {},
      );
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('Unauthorized');
      expect(res.text.length).toBeLessThan(200);
      expect(res.text).not.toContain('http');
      const lines = app.logs.lines.slice(linesBefore);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!).code).toBe('AUTH_FAILED');
      expect(lines[0]).not.toMatch(/\n|\s+at\s/);
      expect(consoleError).not.toHaveBeenCalled();
    },
  );

  it('when a forged token makes the SDK fetch the signing keys, then only the configured (loopback) endpoint is asked', () => {
    expect(metadata.hits()).toBeGreaterThan(0);
  });
});

describe('no app id: local use only (defect 7)', () => {
  it('when no app id and no HOST are configured, then it listens on 127.0.0.1; with an app id, on all interfaces', () => {
    expect(parseConfig({ KNOWLEDGE_DIR: REAL_KNOWLEDGE }, ROOT).host).toBe('127.0.0.1');
    expect(
      parseConfig({ KNOWLEDGE_DIR: REAL_KNOWLEDGE, MicrosoftAppId: 'x', MicrosoftAppPassword: 'y' }, ROOT)
        .host,
    ).toBe('0.0.0.0');
    expect(parseConfig({ KNOWLEDGE_DIR: REAL_KNOWLEDGE, HOST: '0.0.0.0' }, ROOT).host).toBe('0.0.0.0');
  });

  it('when an activity names a serviceUrl that is not on this machine, then 400 and nothing is sent there', async () => {
    const app = await startService();
    try {
      for (const serviceUrl of [
        'http://10.0.0.5:8080/',
        'http://169.254.169.254/latest/',
        'https://example.org/',
      ]) {
        const res = await post(app.url, messageActivity('hi', { serviceUrl, deliveryMode: undefined }));
        expect(res.status).toBe(400);
        expect(res.json.error.code).toBe('ServiceUrlNotAllowed');
      }
      const local = await post(app.url, messageActivity('hi', { serviceUrl: 'http://localhost:1/' }));
      expect(local.status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('deep JSON and the in-memory store size (defect 8)', () => {
  it('when a body is nested thousands deep, then Direct Line and /api/messages answer 400, not 500', async () => {
    const app = await startService();
    try {
      const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
      const token = (await (await fetch(`${app.url}/api/webchat/token`, { method: 'POST' })).json()) as {
        token: string;
        conversationId: string;
      };
      const auth = { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' };
      await fetch(`${app.url}/v3/directline/conversations`, { method: 'POST', headers: auth });
      const nestedValue = `{"type":"message","text":"hi","value":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
      for (const body of [deep, nestedValue]) {
        const dl = await raw(
          app.url,
          `/v3/directline/conversations/${token.conversationId}/activities`,
          body,
          auth,
        );
        expect(dl.status).toBe(400);
        const bf = await raw(app.url, '/api/messages', body, { 'content-type': 'application/json' });
        expect(bf.status).toBe(400);
      }
      await alive(app);
    } finally {
      await app.close();
    }
  });

  it('when the in-memory store is full, then the conversation idle for longest is dropped, not the active ones', async () => {
    let now = 1_000_000;
    const store = new MemoryStore(3600, () => now, 3);
    for (const id of ['a', 'b', 'c']) {
      now += 1000;
      expect(await store.save(id, { v: 1 }, undefined)).toBe(true);
    }
    // "a" is used again, so "b" is now the one idle for longest.
    const a = await store.load('a');
    expect(await store.save('a', { v: 1, lastSeen: now }, a!.etag)).toBe(true);
    expect(await store.save('d', { v: 1 }, undefined)).toBe(true);
    expect(store.size).toBe(3);
    expect(await store.load('b')).toBeUndefined();
    for (const id of ['a', 'c', 'd']) expect(await store.load(id)).toBeDefined();
  });

  it('when 30,000 conversations are saved with the default cap, then at most MEMORY_MAX_CONVERSATIONS are held', async () => {
    const config = parseConfig({ KNOWLEDGE_DIR: REAL_KNOWLEDGE, MEMORY_MAX_CONVERSATIONS: '5000' }, ROOT);
    const store = new MemoryStore(config.stateTtlSeconds, Date.now, config.memoryMaxConversations);
    for (let i = 0; i < 30_000; i++) await store.save(`c${i}`, { v: 1 }, undefined);
    expect(store.size).toBe(5000);
  });
});
