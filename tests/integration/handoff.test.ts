/**
 * The handoff webhook end to end: the service started with HANDOFF_WEBHOOK_URL pointing at a local
 * stub that fails the first delivery (500, after a pause) and accepts the second. Needs the wiring in
 * buildService (createHandoffNotifier + afterTurn passing the channel id).
 */
import { once } from 'node:events';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { messageActivity, post, startService, type Running } from '../helpers/service.js';

interface Delivery {
  /** When the request arrived, and when the stub answered it. */
  receivedAt: number;
  answeredAt?: number;
  status: number;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
}

/** How long the stub holds the failing first request before answering 500. */
const FIRST_FAILURE_DELAY_MS = 300;

async function startWebhookStub(): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const first = deliveries.length === 0;
      const delivery: Delivery = {
        receivedAt,
        status: first ? 500 : 200,
        headers: req.headers,
        raw,
        body: JSON.parse(raw),
      };
      deliveries.push(delivery);
      setTimeout(
        () => {
          delivery.answeredAt = Date.now();
          res.writeHead(delivery.status, { 'content-type': 'application/json' });
          res.end(first ? '{"error":"try again"}' : '{"ok":true}');
        },
        first ? FIRST_FAILURE_DELAY_MS : 0,
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks/handoff`,
    deliveries,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('handoff webhook (integration)', () => {
  let stub: Awaited<ReturnType<typeof startWebhookStub>>;
  let app: Running;

  beforeAll(async () => {
    stub = await startWebhookStub();
    app = await startService({ HANDOFF_WEBHOOK_URL: stub.url, HANDOFF_CALLBACK: 'false' });
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });

  it('when a patient asks for a person, then the clinic gets a codes-only summary, retried after a failure, and the reply is not delayed', async () => {
    const conversationId = 'c-handoff-webhook';
    const said = 'can I talk to a real person please';
    const res = await post(app.url, messageActivity(said, { conversation: { id: conversationId } }));
    const repliedAt = Date.now();
    expect(res.status).toBe(200);
    const replies: string[] = (res.json.activities as any[]).map((a) => a.text).filter(Boolean);
    expect(replies.length).toBeGreaterThan(0);

    await waitFor(() => stub.deliveries.length >= 2 && stub.deliveries[1]!.answeredAt !== undefined, 5_000);
    const [first, second] = stub.deliveries as [Delivery, Delivery];

    // The patient's reply came back before the failing first attempt was even answered, and
    // long before the retry.
    expect(repliedAt).toBeLessThan(first.answeredAt!);
    expect(repliedAt).toBeLessThan(second.receivedAt);

    // The summary: versioned, with the reason, the same id on the retry and as the idempotency key.
    expect(second.body).toMatchObject({
      type: 'clinicbot.handoff',
      version: 1,
      conversationId,
      channelId: 'emulator',
      reason: 'requested',
      answers: {},
    });
    expect(Number.isNaN(Date.parse(second.body.at))).toBe(false);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers['idempotency-key']).toBe(second.body.id);
    expect(second.headers['content-type']).toContain('application/json');

    // No message text anywhere: not the patient's, not the bot's, and no transcript field.
    for (const d of [first, second]) {
      expect(d.body).not.toHaveProperty('transcript');
      expect(d.raw.toLowerCase()).not.toContain(said.toLowerCase());
      expect(d.raw.toLowerCase()).not.toContain('real person');
      for (const reply of replies) expect(d.raw).not.toContain(reply);
    }

    // Staff see the failure (code, conversation, attempt, status) and the success (attempt 2).
    await waitFor(() => app.logs.records().some((r) => r.msg === 'handoff webhook delivered'), 2_000);
    const records = app.logs.records();
    const failures = records.filter((r) => r.code === ErrorCodes.HANDOFF_WEBHOOK_FAILED.code);
    expect(failures).toMatchObject([{ conversationId, attempt: 1, status: 500 }]);
    const delivered = records.filter((r) => r.msg === 'handoff webhook delivered');
    expect(delivered).toMatchObject([{ conversationId, attempt: 2 }]);
    const allLogs = app.logs.lines.join('\n').toLowerCase();
    expect(allLogs).not.toContain('real person');
    expect(allLogs).not.toContain('try again'); // the receiver's answer is not logged either
  });

  it('when a turn has no handoff, then nothing is sent', async () => {
    const before = stub.deliveries.length;
    const res = await post(
      app.url,
      messageActivity('what is sciatica', { conversation: { id: 'c-no-handoff' } }),
    );
    expect(res.status).toBe(200);
    // Deliveries start right after the turn; give one a moment to show up if it (wrongly) would.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stub.deliveries.length).toBe(before);
  });
});
