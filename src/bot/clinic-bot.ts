/**
 * The thin bot class: turns an activity into a TurnInput, runs it through the turn pipeline, and
 * sends the rendered replies. Everything it needs is passed in.
 */
import { ActivityHandler, TurnContext, type Activity } from 'botbuilder';
import type { Knowledge } from '../knowledge/load.js';
import { renderReply } from '../knowledge/render.js';
import type { Logger } from '../logger.js';
import type { BrainResult, TurnInput } from './brain.js';
import { present } from './present.js';
import type { TurnRunner } from './turn-runner.js';

export interface ClinicBotDeps {
  runner: TurnRunner;
  knowledge: Knowledge;
  log: Logger;
  transcript: (conversationId: string, direction: 'in' | 'out', text: string) => void;
  /** Side effects of a finished turn (handoff webhook, metrics). Must not throw. */
  afterTurn?: (conversationId: string, result: BrainResult, channelId: string) => void;
}

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
      // One-to-one: welcome the person who joined. Group chats and channels: one welcome when the
      // bot itself is added, not one for every member who joins later.
      const welcome = group ? added.some((m) => m.id === botId) : added.some((m) => m.id !== botId);
      if (welcome)
        await this.respond(context, { kind: 'joined', shared: group, activityId: context.activity.id });
      await next();
    });
    // Teams may announce a personal install only as an installationUpdate.
    this.onInstallationUpdateAdd(async (context, next) => {
      if (context.activity.conversation.conversationType === 'personal')
        await this.respond(context, { kind: 'joined', activityId: context.activity.id });
      await next();
    });
  }

  private async respond(context: TurnContext, input: TurnInput): Promise<void> {
    const conversationId = context.activity.conversation.id;
    if (input.kind === 'message') this.deps.transcript(conversationId, 'in', input.text);
    const result = await this.deps.runner.run(conversationId, input);
    const rendered = result.replies.map((reply) => renderReply(this.deps.knowledge, reply));
    const activities = present(rendered, {
      channelId: context.activity.channelId,
      conversationType: context.activity.conversation.conversationType,
    });
    for (const a of activities) if (a.text) this.deps.transcript(conversationId, 'out', a.text);
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
