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
  // Suggested actions show in one-to-one chats; Teams group chats and channels get card buttons.
  const groupTeams =
    channel.channelId === 'msteams' && channel.conversationType && channel.conversationType !== 'personal';
  const imBack = (label: string): CardAction => ({ type: ActionTypes.ImBack, title: label, value: label });
  const buttons: CardAction[] = links.map((c) => ({
    type: ActionTypes.OpenUrl,
    title: c.label,
    value: c.url,
  }));
  if (groupTeams) buttons.push(...options.map((c) => imBack(c.label)));
  else if (options.length > 0)
    activity.suggestedActions = { to: [], actions: options.map((c) => imBack(c.label)) };
  if (buttons.length > 0) activity.attachments = [CardFactory.heroCard('', undefined, buttons)];
  return activity;
}
