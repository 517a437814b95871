/**
 * Over HTTP through the real adapter, bot, brain and knowledge (replies come back in the response:
 * deliveryMode expectReplies): one welcome per Teams install whatever the order of the two
 * announcements, and the safety net for messages in other languages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textOf } from '../../src/bot/present.js';
import { renderText } from '../../src/knowledge/render.js';
import { messageActivity, post, startService, type Running } from '../helpers/service.js';

let app: Running;
beforeAll(async () => {
  app = await startService();
}, 60_000);
afterAll(async () => {
  await app?.close();
});

const said = (res: { json: any }): string[] => ((res.json?.activities ?? []) as any[]).map((a) => textOf(a));
const firstLine = (key: string) => renderText(app.service.knowledge, key).split('\n')[0]!;

describe('Teams: one welcome per install', () => {
  const teams = (conversation: string, extra: Record<string, unknown>) => ({
    ...messageActivity(''),
    text: undefined,
    channelId: 'msteams',
    conversation: { id: conversation, conversationType: 'personal' },
    ...extra,
  });
  const memberAdded = (c: string) =>
    teams(c, { type: 'conversationUpdate', membersAdded: [{ id: 'bot-1' }, { id: 'user-1' }] });
  const installed = (c: string) => teams(c, { type: 'installationUpdate', action: 'add' });
  const uninstalled = (c: string) => teams(c, { type: 'installationUpdate', action: 'remove' });

  /** Welcomes (first or "welcome back") among what the bot said. */
  const welcomes = (texts: string[]) =>
    texts.filter(
      (t) => t.includes(firstLine('welcome.intro')) || t.includes(firstLine('dialog.welcome_back')),
    );

  it.each([
    ['conversationUpdate first', memberAdded, installed],
    ['installationUpdate first', installed, memberAdded],
  ])(
    'when Teams announces a personal install twice (%s), then the bot welcomes exactly once',
    async (label, a, b) => {
      const id = `teams-install-${label.split(' ')[0]}`;
      const first = await post(app.url, a(id));
      const second = await post(app.url, b(id));
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(welcomes([...said(first), ...said(second)])).toHaveLength(1);
      // The welcome is at most two bubbles.
      expect(said(first).length + said(second).length).toBeLessThanOrEqual(2);
    },
  );

  it('when the app is removed and installed again, then the new install is welcomed once more', async () => {
    const id = 'teams-reinstall';
    await post(app.url, installed(id));
    const removed = await post(app.url, uninstalled(id));
    expect(removed.status).toBe(200);
    expect(said(removed)).toHaveLength(0);
    const again = [await post(app.url, installed(id)), await post(app.url, memberAdded(id))];
    expect(welcomes(again.flatMap(said))).toHaveLength(1);
    expect(welcomes(again.flatMap(said))[0]).toContain(firstLine('welcome.intro'));
  });
});

describe('messages in other languages', () => {
  const ask = (text: string, conversation: string) =>
    post(app.url, messageActivity(text, { conversation: { id: conversation }, channelId: 'webchat' }));

  it('when a Spanish message describes loss of bladder control, then it escalates like English (emergency card first) and the safety net comes in Spanish', async () => {
    const res = await ask('No puedo controlar la vejiga y tengo dolor de espalda', 'lang-es-flag');
    const activities = res.json.activities as any[];
    const card = activities[0].attachments?.[0]?.content;
    expect(card?.type).toBe('AdaptiveCard');
    expect(card.body[0].style).toBe('attention');
    expect(card.actions[0].url).toBe(`tel:${app.service.knowledge.clinic.emergencyNumber}`);
    expect(said(res)).toContain(renderText(app.service.knowledge, 'other_language.spa'));
    // The log records the escalation and the language, never the text.
    const turn = app.logs.records().find((r) => r.msg === 'turn' && r.conversationId === 'lang-es-flag');
    expect(turn).toMatchObject({ language: 'spa', disposition: { level: 'E', via: 'red_flag' } });
    expect(JSON.stringify(app.logs.records())).not.toContain('vejiga');
  });

  it('when a Spanish message negates the sign, then there is no escalation, only the Spanish safety net', async () => {
    const res = await ask(
      'No tengo problemas para orinar, pero me duele la espalda desde hace dos semanas',
      'lang-es-neg',
    );
    expect(said(res)).toEqual([renderText(app.service.knowledge, 'other_language.spa')]);
  });

  it.each([
    ['Polish', 'pol', 'Boli mnie plecy i nie mogę kontrolować pęcherza'],
    ['Urdu', 'urd', 'میری کمر میں درد ہے اور ٹانگ میں بھی درد ہوتا ہے'],
    ['Punjabi', 'pan', 'ਮੇਰੀ ਕਮਰ ਵਿੱਚ ਬਹੁਤ ਦਰਦ ਹੈ ਅਤੇ ਲੱਤ ਵਿੱਚ ਵੀ'],
    ['Spanish', 'spa', 'Hola, necesito una cita por favor para la próxima semana'],
  ])(
    'when a message is in %s, a language the clinic speaks, then the answer is the staff message in it',
    async (_name, code, text) => {
      const res = await ask(text, `lang-${code}`);
      expect(said(res)).toEqual([renderText(app.service.knowledge, `other_language.${code}`)]);
    },
  );

  it('when a message is in a language the clinic does not speak, then the safety net comes in English', async () => {
    const res = await ask('Ich habe seit zwei Wochen Rückenschmerzen', 'lang-de');
    expect(said(res)).toEqual([renderText(app.service.knowledge, 'other_language.other')]);
  });

  it('when a message is in English, then no language safety net is added', async () => {
    for (const text of ['what is sciatica?', 'tennis elbow treatment', 'how do i reset my router']) {
      const res = await ask(text, `lang-en-${text.length}`);
      for (const key of ['other_language.other', 'other_language.spa'])
        expect(said(res)).not.toContain(renderText(app.service.knowledge, key));
    }
  });
});
