/**
 * The answer card: a disposition's reply keys become one Adaptive Card (or the same content as
 * plain text), built in the presentation layer. Asserts structure and keys, not wording: the
 * texts are compared with what knowledge/ renders for the keys.
 */
import { describe, expect, it } from 'vitest';
import { K } from '../../dialogs/message-keys.js';
import type { Level, Reply } from '../../dialogs/types.js';
import { presentTurn, textOf } from '../../src/bot/present.js';
import { telUrl } from '../../src/bot/cards.js';
import { loadKnowledgeOrThrow } from '../../src/knowledge/load.js';
import { renderText } from '../../src/knowledge/render.js';
import { contentRequirements } from '../../src/knowledge/requirements.js';
import { REAL_KNOWLEDGE } from '../helpers/service.js';

const knowledge = loadKnowledgeOrThrow(REAL_KNOWLEDGE, contentRequirements());
const reasonKey = [...knowledge.messages.keys()].find((k) => k.startsWith('reason.'))!;
const HANDOFF = { payload: 'intent:handoff', labelKey: K.choiceFrontDesk };
const BOOK = { payload: 'open:booking', labelKey: K.choiceOpenBooking };

/** The replies the dialog says for a disposition at each level (dialogs/dialog-logic.ts dispositionPlan). */
function dispositionReplies(level: Level): Reply[] {
  const headline = { E: K.dispositionE, U: K.dispositionU, S: K.dispositionS, C: K.dispositionC }[level];
  const replies: Reply[] = [{ key: headline }, { key: K.because }, { key: reasonKey }];
  if (level === 'C') replies.push({ key: K.selfCareAdvice });
  if (level !== 'E') replies.push({ key: K.safetyIntro }, { key: K.safetyEmergencySigns });
  if (level === 'S' || level === 'C') replies.push({ key: K.safetyUrgentSigns }, { key: K.safetyReview });
  if (level === 'E') replies[replies.length - 1] = { ...replies.at(-1)!, choices: [HANDOFF] };
  else replies.push({ key: K.nextSteps, choices: level === 'U' ? [HANDOFF, BOOK] : [BOOK] });
  return replies;
}

interface Card {
  type: string;
  version: string;
  body: Array<{ type: string; style?: string; text?: string; items?: Array<{ text: string }> }>;
  actions: Array<{
    type: string;
    url?: string;
    title: string;
    style?: string;
    data?: { payload: string };
    card?: { body: Array<{ text: string }> };
  }>;
  fallbackText: string;
}
const cardOf = (a: { attachments?: Array<{ contentType: string; content?: unknown }> }) => {
  expect(a.attachments?.[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
  return a.attachments![0]!.content as Card;
};
const allText = (card: Card) =>
  card.body.flatMap((b) => [b.text ?? '', ...(b.items ?? []).map((i) => i.text)]).join('\n');

describe('the answer card', () => {
  for (const level of ['E', 'U', 'S', 'C'] as const) {
    it(`when the dialog gives a ${level} disposition in Web Chat, then it is ONE card: headline with the level in words, tel: buttons, why, and no stray bubbles`, () => {
      const activities = presentTurn(knowledge, dispositionReplies(level), { channelId: 'webchat' });
      expect(activities).toHaveLength(1);
      const card = cardOf(activities[0]!);
      expect(card.type).toBe('AdaptiveCard');
      const word = { E: 'emergency', U: 'urgent', S: 'soon', C: 'self_care' }[level];
      // The coloured headline is the first thing, and it is the staff's sentence for that level.
      const head = card.body[0]!;
      expect(head.type).toBe('Container');
      expect(head.style).toBe({ E: 'attention', U: 'warning', S: 'accent', C: 'good' }[level]);
      expect(head.items![0]!.text).toBe(renderText(knowledge, `card.headline.${word}`));
      // What to do now: tel: links for the emergency number and/or the clinic.
      const urls = card.actions.map((x) => x.url);
      if (level === 'E') {
        expect(urls[0]).toBe(telUrl(knowledge.clinic.emergencyNumber));
        expect(card.actions[0]!.style).toBe('destructive');
      }
      expect(urls).toContain(telUrl(knowledge.clinic.phone));
      if (level !== 'E') expect(urls).toContain(knowledge.clinic.bookingUrl);
      // Why: the reason from the triage table.
      expect(allText(card)).toContain(renderText(knowledge, reasonKey));
      // The review line ("book if not better in weeks") only for self-care: never under "see someone soon".
      expect(allText(card).includes(renderText(knowledge, K.safetyReview))).toBe(level === 'C');
      // Other choices (the front desk) stay buttons the channel shows.
      if (level === 'E' || level === 'U')
        expect(activities[0]!.suggestedActions?.actions.map((x) => x.title)).toEqual([
          renderText(knowledge, K.choiceFrontDesk),
        ]);
      // The plain-text twin carries the same headline and numbers.
      expect(card.fallbackText).toContain(renderText(knowledge, `card.headline.${word}`));
    });
  }

  it('when the channel has no cards, then the same content comes as one plain text with the numbers written out', () => {
    const [a, ...rest] = presentTurn(knowledge, dispositionReplies('U'), { channelId: 'console' });
    expect(rest).toHaveLength(0);
    expect(a!.attachments).toBeUndefined();
    expect(a!.text).toContain(renderText(knowledge, 'card.headline.urgent'));
    expect(a!.text).toContain(knowledge.clinic.phone.replace(/\s/g, ''));
    expect(a!.text).toContain(knowledge.clinic.emergencyNumber);
    expect(a!.text).toMatch(/\n1\. /);
  });

  it('when the channel is Teams, then the dialog choices are card buttons that carry their payload', () => {
    const [a] = presentTurn(knowledge, dispositionReplies('E'), {
      channelId: 'msteams',
      conversationType: 'personal',
    });
    const card = cardOf(a!);
    expect(a!.suggestedActions).toBeUndefined();
    expect(card.actions.find((x) => x.type === 'Action.Submit')?.data?.payload).toBe('intent:handoff');
  });

  it('when emergency advice comes after other replies in a turn, then it comes first', () => {
    const replies: Reply[] = [{ key: K.triageContinue }, ...dispositionReplies('E')];
    const activities = presentTurn(knowledge, replies, { channelId: 'webchat' });
    expect(activities).toHaveLength(2);
    expect(cardOf(activities[0]!).body[0]!.style).toBe('attention');
    expect(textOf(activities[1]!)).toBe(renderText(knowledge, K.triageContinue));
  });
});

describe('the welcome', () => {
  const welcome: Reply[] = [
    { key: K.welcomeIntro },
    { key: K.welcomeEmergency },
    { key: K.welcomePrivacy },
    { key: K.welcomeMenu, choices: [{ payload: 'intent:start_triage', labelKey: K.choiceCheckSymptoms }] },
  ];

  it('when the bot welcomes in Web Chat, then it is two bubbles: the intro with the emergency line, and the menu; the data notice is one tap away', () => {
    const activities = presentTurn(knowledge, welcome, { channelId: 'webchat' });
    expect(activities).toHaveLength(2);
    const card = cardOf(activities[0]!);
    expect(card.body[0]!.text).toContain(renderText(knowledge, K.welcomeEmergency));
    const show = card.actions.find((x) => x.type === 'Action.ShowCard')!;
    expect(show.title).toBe(renderText(knowledge, 'welcome.privacy_button'));
    expect(show.card!.body[0]!.text).toBe(renderText(knowledge, K.welcomePrivacy));
    expect(activities[1]!.suggestedActions?.actions).toHaveLength(1);
  });

  it('when the welcome is short, then the two bubbles before the menu buttons stay under 60 words', () => {
    const activities = presentTurn(knowledge, welcome, { channelId: 'webchat' });
    const words = (cardOf(activities[0]!).body[0]!.text! + ' ' + textOf(activities[1]!)).split(/\s+/).length;
    expect(words).toBeLessThanOrEqual(60);
  });

  it('when the channel has no cards, then the notice is in the same bubble (nothing to tap)', () => {
    const activities = presentTurn(knowledge, welcome, { channelId: 'console' });
    expect(activities).toHaveLength(2);
    expect(activities[0]!.text).toContain(renderText(knowledge, K.welcomePrivacy));
  });
});

describe('tel: links', () => {
  it('when a number is written with spaces, then the link has digits only; a name is no link', () => {
    expect(telUrl('020 7946 0321')).toBe('tel:02079460321');
    expect(telUrl('+44 (0)20 7946-0321')).toBe('tel:+4402079460321');
    expect(telUrl('NHS 111')).toBeUndefined();
  });
});
