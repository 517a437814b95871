/**
 * Shape rendered replies for the channel: suggested actions and cards where the channel renders
 * them (Teams, Web Chat, Direct Line, Emulator), plain text with numbered options elsewhere (so
 * typing "2" picks option 2).
 */
import { ActionTypes, ActivityTypes, CardFactory, type Activity, type CardAction } from 'botbuilder';
import type { RenderedReply } from '../knowledge/render.js';

const RICH_CHANNELS = new Set(['msteams', 'webchat', 'directline', 'emulator']);

export interface ChannelInfo {
  channelId: string;
  /** Teams: personal, groupChat or channel. */
  conversationType?: string;
}

export function isRichChannel(channel: ChannelInfo): boolean {
  return RICH_CHANNELS.has(channel.channelId);
}

export function present(replies: readonly RenderedReply[], channel: ChannelInfo): Array<Partial<Activity>> {
  return replies.map((reply) => presentOne(reply, channel));
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
  const imBack = (label: string): CardAction => ({ type: ActionTypes.ImBack, title: label, value: label });
  // A card button sends the choice's payload as well as its label, so the pick is exact.
  const messageBack = (label: string, payload: string): CardAction => ({
    type: ActionTypes.MessageBack,
    title: label,
    text: label,
    displayText: label,
    value: { payload },
  });
  const buttons: CardAction[] = links.map((c) => ({
    type: ActionTypes.OpenUrl,
    title: c.label,
    value: c.url,
  }));
  if (channel.channelId === 'msteams') {
    // Teams shows at most 3 suggested actions, and only in one-to-one chats: use card buttons.
    buttons.push(...options.map((c) => messageBack(c.label, c.payload)));
  } else if (options.length > 0) {
    activity.suggestedActions = { to: [], actions: options.map((c) => imBack(c.label)) };
  }
  if (buttons.length > 0) {
    // Teams renders up to 3 buttons on a card; longer lists become a list of cards.
    const perCard = channel.channelId === 'msteams' ? 3 : 6;
    const cards = [];
    for (let i = 0; i < buttons.length; i += perCard)
      cards.push(CardFactory.heroCard('', undefined, buttons.slice(i, i + perCard)));
    activity.attachments = cards;
    activity.attachmentLayout = 'list';
  }
  return activity;
}
