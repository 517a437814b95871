/**
 * "Forget me" in web chat, over the local Direct Line API as the page uses it: the bot deletes its
 * record, and the transcript the server keeps for the page is dropped too, so a page that
 * reconnects (or anyone holding the token) reads only the confirmation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORGET_EVENT, textOf } from '../../src/bot/present.js';
import { renderText } from '../../src/knowledge/render.js';
import { readBody, startService, type Running } from '../helpers/service.js';

const DL = '/v3/directline';
let app: Running;
beforeAll(async () => {
  app = await startService();
}, 60_000);
afterAll(async () => {
  await app?.close();
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await readBody(res)).json };
}

describe('forget me in web chat', () => {
  it('when the patient says "forget me", then the server keeps none of the earlier transcript and tells the page to clear', async () => {
    const issued = await (await fetch(`${app.url}/api/webchat/token`, { method: 'POST' })).json();
    const { token, conversationId } = issued as { token: string; conversationId: string };
    expect((await call('POST', `${DL}/conversations`, token, {})).status).toBe(201);
    const question = 'what is sciatica?';
    const user = { type: 'message', from: { id: 'x' }, text: question };
    expect((await call('POST', `${DL}/conversations/${conversationId}/activities`, token, user)).status).toBe(
      200,
    );
    const before = await call('GET', `${DL}/conversations/${conversationId}/activities`, token);
    expect((before.json.activities as any[]).some((a) => a.text === question)).toBe(true);

    await call('POST', `${DL}/conversations/${conversationId}/activities`, token, {
      ...user,
      text: 'forget me',
    });
    const after = await call('GET', `${DL}/conversations/${conversationId}/activities`, token);
    const activities = after.json.activities as any[];
    // Only this turn's replies are left: the confirmation and the event that tells the page.
    expect(activities.some((a) => a.text === question)).toBe(false);
    expect(activities.some((a) => a.text === 'forget me')).toBe(false);
    expect(activities.map((a) => textOf(a))).toContain(renderText(app.service.knowledge, 'dialog.forgotten'));
    expect(activities.filter((a) => a.type === 'event' && a.name === FORGET_EVENT)).toHaveLength(1);
    expect(await app.service.store.load(conversationId)).toBeUndefined();
  });
});
