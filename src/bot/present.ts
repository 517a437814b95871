/**
 * Shape rendered replies for the channel: suggested actions and cards where the channel renders
 * them (Teams, Web Chat, Direct Line, Emulator), plain text with numbered options elsewhere (so
 * typing "2" picks option 2).
 *
 * A turn's replies are also grouped here (presentTurn): a disposition's many keys become one
 * answer card (cards.ts), emergency first; the welcome's opening lines become one bubble with the
 * data notice one tap away.
 */
import { ActionTypes, ActivityTypes, CardFactory, type Activity, type CardAction } from 'botbuilder';
import type { Reply } from '../../dialogs/types.js';
import type { Knowledge } from '../knowledge/load.js';
import { type RenderedReply, renderReply, renderText } from '../knowledge/render.js';
import {
  DISPOSITION_HEADLINES,
  type DispositionView,
  dispositionCard,
  dispositionText,
  dispositionView,
  isDispositionPart,
} from './cards.js';
import { PRIVACY_BUTTON } from './host-messages.js';

export { FORGET_EVENT, PRIVACY_BUTTON } from './host-messages.js';

const RICH_CHANNELS = new Set(['msteams', 'webchat', 'directline', 'emulator']);

/** Teams shows at most three suggested actions. */
const TEAMS_MAX_SUGGESTED = 3;

export const WELCOME_INTRO = 'welcome.intro';
export const WELCOME_EMERGENCY = 'welcome.emergency';
export const WELCOME_PRIVACY = 'welcome.privacy';

export interface ChannelInfo {
  channelId: string;
  /** Teams: personal, groupChat or channel. */
  conversationType?: string;
}

export function isRichChannel(channel: ChannelInfo): boolean {
  return RICH_CHANNELS.has(channel.channelId);
}

/** Render a turn's replies and shape them for the channel (cards, welcome, emergency first). */
export function presentTurn(
  knowledge: Knowledge,
  replies: readonly Reply[],
  channel: ChannelInfo,
): Array<Partial<Activity>> {
  const rendered = replies.map((reply) => renderReply(knowledge, reply));
  const out: Array<{ activity: Partial<Activity>; first: boolean }> = [];
  for (let i = 0; i < rendered.length; i++) {
    const reply = rendered[i]!;
    if (DISPOSITION_HEADLINES[reply.key]) {
      let end = i + 1;
      while (end < rendered.length && isDispositionPart(rendered[end]!.key)) end++;
      const view = dispositionView(knowledge, rendered.slice(i, end));
      out.push({ activity: presentDisposition(view, channel), first: view.level === 'E' });
      i = end - 1;
      continue;
    }
    if (reply.key === WELCOME_INTRO) {
      const parts = [reply.text];
      let privacy: string | undefined;
      while (rendered[i + 1]?.key === WELCOME_EMERGENCY || rendered[i + 1]?.key === WELCOME_PRIVACY) {
        const next = rendered[++i]!;
        if (next.key === WELCOME_PRIVACY) privacy = next.text;
        else parts.push(next.text);
      }
      out.push({ activity: presentWelcome(knowledge, parts.join(' '), privacy, channel), first: false });
      continue;
    }
    out.push({ activity: presentOne(reply, channel), first: false });
  }
  // Emergency advice comes before anything else said in the turn.
  return [...out.filter((o) => o.first), ...out.filter((o) => !o.first)].map((o) => o.activity);
}

export function present(replies: readonly RenderedReply[], channel: ChannelInfo): Array<Partial<Activity>> {
  return replies.map((reply) => presentOne(reply, channel));
}

/** The plain text an activity shows (its text, or its card's fallback), for transcripts and tests. */
export function textOf(activity: Partial<Activity>): string {
  if (activity.text) return activity.text;
  const card = activity.attachments?.[0]?.content as { fallbackText?: string; text?: string } | undefined;
  return card?.fallbackText ?? card?.text ?? '';
}

const imBack = (label: string): CardAction => ({ type: ActionTypes.ImBack, title: label, value: label });
// A card button sends the choice's payload as well as its label, so the pick is exact.
const messageBack = (label: string, payload: string): CardAction => ({
  type: ActionTypes.MessageBack,
  title: label,
  text: label,
  displayText: label,
  value: { payload },
});
/** The same as an Adaptive Card action (Teams reads `msteams`). */
const submitAction = (label: string, payload: string): Record<string, unknown> => ({
  type: 'Action.Submit',
  title: label,
  data: { payload, msteams: { type: 'messageBack', text: label, displayText: label, value: { payload } } },
});

function presentDisposition(view: DispositionView, channel: ChannelInfo): Partial<Activity> {
  const base: Partial<Activity> = { type: ActivityTypes.Message, textFormat: 'markdown' };
  if (!isRichChannel(channel)) {
    const lines = view.choices.map((c, i) => `${i + 1}. ${c.label}${c.url ? ` (${c.url})` : ''}`);
    return { ...base, text: [dispositionText(view), lines.join('\n')].filter(Boolean).join('\n\n') };
  }
  const teams = channel.channelId === 'msteams';
  const activity: Partial<Activity> = {
    ...base,
    summary: view.headline,
    attachments: [
      dispositionCard(
        view,
        teams ? view.choices.filter((c) => !c.url).map((c) => submitAction(c.label, c.payload)) : [],
      ),
    ],
  };
  const options = view.choices.filter((c) => !c.url);
  if (!teams && options.length > 0)
    activity.suggestedActions = { to: [], actions: options.map((c) => imBack(c.label)) };
  return activity;
}

/** The welcome's opening as one bubble; the data notice behind a button (plain text: inline). */
function presentWelcome(
  knowledge: Knowledge,
  text: string,
  privacy: string | undefined,
  channel: ChannelInfo,
): Partial<Activity> {
  if (!privacy || !isRichChannel(channel)) {
    return {
      type: ActivityTypes.Message,
      textFormat: 'markdown',
      text: privacy ? `${text}\n\n${privacy}` : text,
    };
  }
  return {
    type: ActivityTypes.Message,
    summary: text,
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          type: 'AdaptiveCard',
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          version: '1.5',
          fallbackText: `${text}\n\n${privacy}`,
          body: [{ type: 'TextBlock', text, wrap: true }],
          actions: [
            {
              type: 'Action.ShowCard',
              title: renderText(knowledge, PRIVACY_BUTTON),
              card: { type: 'AdaptiveCard', body: [{ type: 'TextBlock', text: privacy, wrap: true }] },
            },
          ],
        },
      },
    ],
  };
}

function presentOne(reply: RenderedReply, channel: ChannelInfo): Partial<Activity> {
  const activity: Partial<Activity> = {
    type: ActivityTypes.Message,
    text: reply.text,
    textFormat: 'markdown',
  };
  if (reply.choices.length === 0) return activity;

  if (!isRichChannel(channel)) {
    const lines = reply.choices.map((c, i) => `${i + 1}. ${c.label}${c.url ? ` (${c.url})` : ''}`);
    activity.text = `${reply.text}\n\n${lines.join('\n')}`;
    return activity;
  }

  const links = reply.choices.filter((c) => c.url);
  const options = reply.choices.filter((c) => !c.url);
  const linkButtons: CardAction[] = links.map((c) => ({
    type: ActionTypes.OpenUrl,
    title: c.label,
    value: c.url,
  }));

  if (channel.channelId === 'msteams') {
    // Teams shows three suggested actions at most: a short list of options is suggested actions
    // in a one-to-one chat; anything else is ONE card that carries the text and every button.
    if (
      links.length === 0 &&
      options.length <= TEAMS_MAX_SUGGESTED &&
      channel.conversationType === 'personal'
    ) {
      activity.suggestedActions = { to: [], actions: options.map((c) => imBack(c.label)) };
      return activity;
    }
    delete activity.text;
    activity.attachments = [
      CardFactory.heroCard('', reply.text, undefined, [
        ...options.map((c) => messageBack(c.label, c.payload)),
        ...linkButtons,
      ]),
    ];
    return activity;
  }

  if (options.length > 0)
    activity.suggestedActions = { to: [], actions: options.map((c) => imBack(c.label)) };
  if (linkButtons.length > 0) {
    // The text and its link buttons in one card, so no button stands without words.
    delete activity.text;
    activity.attachments = [CardFactory.heroCard('', reply.text, undefined, linkButtons)];
  }
  return activity;
}
