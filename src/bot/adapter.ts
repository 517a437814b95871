/**
 * The CloudAdapter and the one turn-error handler. With no app id the bot runs unauthenticated for
 * local use (Emulator, terminal chat, Playground); with one, every request needs a valid token.
 */
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import type { Config } from '../config.js';
import { codeOf, ErrorCodes } from '../errors.js';
import type { Knowledge } from '../knowledge/load.js';
import { renderText } from '../knowledge/render.js';
import type { Logger } from '../logger.js';

export interface AdapterDeps {
  config: Config;
  log: Logger;
  knowledge: Knowledge;
  /** Forget the dialog record of a conversation whose turn failed, so it can continue afresh. */
  resetConversation: (conversationId: string) => Promise<void>;
}

export function createAdapter(deps: AdapterDeps): CloudAdapter {
  const auth = new ConfigurationBotFrameworkAuthentication({ ...deps.config.botAuth });
  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = (context, error) => handleTurnError(deps, context, error);
  return adapter;
}

export async function handleTurnError(
  deps: AdapterDeps,
  context: TurnContext,
  error: unknown,
): Promise<void> {
  const code = codeOf(error);
  const conversationId = context.activity?.conversation?.id;
  deps.log.error(
    {
      code,
      conversationId,
      activityType: context.activity?.type,
      // The stack's first line repeats the error message, which may quote patient text: keep frames only.
      err:
        error instanceof Error
          ? {
              name: error.name,
              frames: error.stack
                ?.split('\n')
                .slice(1, 6)
                .map((l) => l.trim()),
            }
          : { name: typeof error },
    },
    'turn failed',
  );
  const storageDown = code === ErrorCodes.STORAGE_UNAVAILABLE.code;
  if (!storageDown && conversationId) {
    try {
      await deps.resetConversation(conversationId);
    } catch (resetError) {
      deps.log.error(
        {
          code: ErrorCodes.STORAGE_UNAVAILABLE.code,
          conversationId,
          err: { name: (resetError as Error)?.name },
        },
        'could not reset the conversation after a failed turn',
      );
    }
  }
  const key = storageDown ? ErrorCodes.STORAGE_UNAVAILABLE.patientKey : ErrorCodes.TURN_FAILED.patientKey;
  try {
    await context.sendActivity(renderText(deps.knowledge, key));
  } catch (sendError) {
    deps.log.error(
      { code, conversationId, err: { name: (sendError as Error)?.name } },
      'could not send the apology',
    );
  }
}
