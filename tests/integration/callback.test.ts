/**
 * A real handoff against the real server: "talk to a person" on a Sunday (the injected clock) says
 * the clinic is closed and when it opens, takes a name and a number, and posts a signed webhook that
 * a test receiver verifies with the reference Standard Webhooks library. The name and number reach
 * the receiver and nothing else: not the logs, not the stored state.
 */
import { once } from 'node:events';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startService, type Running } from '../helpers/service.js';
import { lastReplyKeys, say, waitFor } from './ops-helpers.js';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
}

async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, raw });
      res.writeHead(204);
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
/** Sunday 22 November 2026, 11:00 in London: the sample clinic is closed all Sunday. */
const SUNDAY = Date.UTC(2026, 10, 22, 11, 0, 0);
/** Monday 23 November 2026, 10:00 in London: open. */
const MONDAY = Date.UTC(2026, 10, 23, 10, 0, 0);

describe('call-back handoff (integration)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let app: Running;
  let now = SUNDAY;

  beforeAll(async () => {
    receiver = await startReceiver();
    app = await startService(
      {
        HANDOFF_WEBHOOK_URL: `${receiver.url}/hooks/handoff`,
        HANDOFF_WEBHOOK_SECRET: SECRET,
        TEAMS_WEBHOOK_URL: `${receiver.url}/teams`,
        AUDIT_SINK: 'off',
      },
      { clock: () => now },
    );
  });
  afterAll(async () => {
    await app?.close();
    await receiver?.close();
  });

  it('when a patient asks for a person on a Sunday and gives a name and number, then a signed webhook with them reaches the clinic', async () => {
    now = SUNDAY;
    const id = 'c-callback-sunday';
    await say(app, id, 'hi');
    await say(app, id, 'can I talk to a real person please');
    expect(lastReplyKeys(app, id)).toEqual(['handoff.info', 'handoff.closed_now', 'handoff.callback_offer']);
    await say(app, id, 'yes please');
    expect(lastReplyKeys(app, id)).toEqual(['handoff.ask_name']);
    await say(app, id, 'Sam Okafor');
    expect(lastReplyKeys(app, id)).toEqual(['handoff.ask_phone']);
    const replies = await say(app, id, '07700 900 123');
    expect(lastReplyKeys(app, id)).toEqual(['handoff.callback_closed']);
    // It says when the clinic opens: Monday 08:00 in the sample profile ("tomorrow" from a Sunday).
    expect(replies.join(' ')).toContain('08:00');

    await waitFor(() => receiver.received.some((r) => r.path === '/hooks/handoff'));
    const hook = receiver.received.find((r) => r.path === '/hooks/handoff')!;
    // The reference library checks the signature and that the timestamp is recent: at the bot's clock.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now);
    let body: any;
    try {
      body = new Webhook(SECRET).verify(hook.raw, {
        'webhook-id': String(hook.headers['webhook-id']),
        'webhook-timestamp': String(hook.headers['webhook-timestamp']),
        'webhook-signature': String(hook.headers['webhook-signature']),
      });
    } finally {
      vi.useRealTimers();
    }
    expect(body).toMatchObject({
      type: 'clinicbot.handoff',
      conversationId: id,
      reason: 'requested',
      clinicOpen: false,
      callback: { name: 'Sam Okafor', phone: '07700 900 123' },
    });
    expect(hook.headers['webhook-id']).toBe(body.id);

    // A tampered body fails verification.
    expect(() =>
      new Webhook(SECRET).verify(hook.raw.replace('Sam', 'Tom'), {
        'webhook-id': String(hook.headers['webhook-id']),
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': String(hook.headers['webhook-signature']),
      }),
    ).toThrow();

    // Teams gets an Adaptive Card.
    await waitFor(() => receiver.received.some((r) => r.path === '/teams'));
    const teams = JSON.parse(receiver.received.find((r) => r.path === '/teams')!.raw);
    expect(teams.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');

    // The name and number are in no log line and not in the stored state.
    const logs = app.logs.lines.join('\n');
    expect(logs).not.toContain('Okafor');
    expect(logs).not.toContain('900 123');
    const stored = JSON.stringify(await app.service.store.load(id));
    expect(stored).not.toContain('Okafor');
    expect(stored).not.toContain('900 123');
  });

  it('when the clinic is open (a Monday morning), then the patient hears it is open now', async () => {
    now = MONDAY;
    const id = 'c-callback-monday';
    await say(app, id, 'hi');
    await say(app, id, 'talk to a person');
    expect(lastReplyKeys(app, id)).toContain('handoff.open_now');
    expect(lastReplyKeys(app, id)).not.toContain('handoff.closed_now');
  });

  it('when the number cannot be read twice, then the patient is given the phone number and the handoff goes without a call back', async () => {
    now = MONDAY;
    const id = 'c-callback-bad-number';
    const before = receiver.received.filter((r) => r.path === '/hooks/handoff').length;
    await say(app, id, 'hi');
    await say(app, id, 'talk to a person');
    await say(app, id, 'yes');
    await say(app, id, 'Sam');
    await say(app, id, 'not telling you');
    expect(lastReplyKeys(app, id)).toEqual(['handoff.ask_phone.retry']);
    await say(app, id, 'abc');
    expect(lastReplyKeys(app, id)).toEqual(['handoff.callback_failed']);
    await waitFor(() => receiver.received.filter((r) => r.path === '/hooks/handoff').length > before);
    const last = JSON.parse(receiver.received.filter((r) => r.path === '/hooks/handoff').at(-1)!.raw);
    expect(last.conversationId).toBe(id);
    expect(last).not.toHaveProperty('callback');
  });
});
