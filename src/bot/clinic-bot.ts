/**
 * The thin bot class: turns an activity into a TurnInput, runs it through the turn pipeline, and
 * sends the rendered replies. Everything it needs is passed in.
 */
import { ActivityHandler, ActivityTypes, TurnContext, type Activity } from 'botbuilder';
import type { Knowledge } from '../knowledge/load.js';
import type { Logger } from '../logger.js';
import type { BrainResult, TurnInput } from './brain.js';
import { FORGET_EVENT, presentTurn, textOf } from './present.js';
import type { TurnRunner } from './turn-runner.js';

export interface ClinicBotDeps {
  runner: TurnRunner;
  knowledge: Knowledge;
  log: Logger;
  transcript: (conversationId: string, direction: 'in' | 'out', text: string) => void;
  /** Side effects of a finished turn (handoff webhook, metrics). Must not throw. */
  afterTurn?: (conversationId: string, result: BrainResult, channelId: string) => void;
}

const WEB_CHANNELS = new Set(['webchat', 'directline']);

export class ClinicBot extends ActivityHandler {
  constructor(private readonly deps: ClinicBotDeps) {
    super();
    this.onMessage(async (context, next) => {
      await this.respond(context, messageInput(context));
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      const botId = context.activity.recipient?.id;
      const added = context.activity.membersAdded ?? [];
      const type = context.activity.conversation.conversationType;
      const group = type === 'groupChat' || type === 'channel';
      const teams = context.activity.channelId === 'msteams';
      // One-to-one: welcome the person who joined (in Teams, installing the app adds the bot to
      // the personal chat). Group chats and channels: one welcome when the bot itself is added,
      // not one for every member who joins later.
      const welcome = group
        ? added.some((m) => m.id === botId)
        : added.some((m) => m.id !== botId) || (teams && added.some((m) => m.id === botId));
      // Teams announces one install twice (conversationUpdate and installationUpdate), in either
      // order: whichever comes second finds the conversation already started and stays silent.
      if (welcome)
        await this.respond(context, {
          kind: 'joined',
          shared: group,
          activityId: context.activity.id,
          ...(teams ? { firstOnly: true } : {}),
        });
      await next();
    });
    this.onInstallationUpdateAdd(async (context, next) => {
      const type = context.activity.conversation.conversationType;
      const group = type === 'groupChat' || type === 'channel';
      await this.respond(context, {
        kind: 'joined',
        shared: group,
        firstOnly: true,
        activityId: context.activity.id,
      });
      await next();
    });
    // Uninstalled: nothing about the conversation is kept, and a later install is welcomed again.
    this.onInstallationUpdateRemove(async (context, next) => {
      await this.deps.runner.reset(context.activity.conversation.id);
      await next();
    });
  }

  private async respond(context: TurnContext, input: TurnInput): Promise<void> {
    const conversationId = context.activity.conversation.id;
    if (input.kind === 'message') this.deps.transcript(conversationId, 'in', input.text);
    const result = await this.deps.runner.run(conversationId, input);
    const activities = presentTurn(this.deps.knowledge, result.replies, {
      channelId: context.activity.channelId,
      conversationType: context.activity.conversation.conversationType,
    });
    for (const a of activities) {
      const text = textOf(a);
      if (text) this.deps.transcript(conversationId, 'out', text);
    }
    // "Forget me" in web chat: tell the channel, so the local Direct Line drops the transcript it
    // keeps and the page clears the chat on screen (other channels keep their own history).
    if (result.outcome.forget && WEB_CHANNELS.has(context.activity.channelId))
      activities.push({ type: ActivityTypes.Event, name: FORGET_EVENT });
    if (activities.length > 0) {
      try {
        await context.sendActivities(activities);
      } catch (error) {
        // Saved, but the patient never saw it: the next turn asks again what they saw last.
        this.deps.runner.markUndelivered(conversationId, result);
        throw error;
      }
    }
    this.deps.afterTurn?.(conversationId, result, context.activity.channelId);
  }
}

/** The message as the brain sees it: @mentions of the bot removed, a button payload if any. */
export function messageInput(context: TurnContext): TurnInput {
  const activity = context.activity as Activity;
  let text = activity.text ?? '';
  if (activity.entities?.some((e) => e.type === 'mention')) {
    text = TurnContext.removeRecipientMention(activity) ?? text;
    // Teams wraps mentions in <at> tags; remove any left.
    text = text.replace(/<at>[^<]*<\/at>/g, '');
  }
  const value = activity.value as { payload?: unknown } | undefined;
  const payload = value && typeof value.payload === 'string' ? value.payload : undefined;
  const type = activity.conversation?.conversationType;
  const shared = type === 'groupChat' || type === 'channel';
  return {
    kind: 'message',
    activityId: typeof activity.id === 'string' && activity.id !== '' ? activity.id : undefined,
    text: text.trim(),
    payload,
    attachments: activity.attachments?.length ?? 0,
    shared,
  };
}
