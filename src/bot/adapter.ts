/**
 * The CloudAdapter and the one turn-error handler. With no app id the bot runs unauthenticated for
 * local use (Emulator, terminal chat, Playground); with one, every request needs a valid token.
 *
 * A failed turn never deletes what is stored: the record may hold a symptom check in progress, and
 * the failure may have nothing to do with it (a malformed activity, a network error sending the
 * reply). The patient reads the apology and carries on from where they were; "restart" and
 * "forget me" are always there if they want a clean slate.
 */
import {
  type Activity,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type InvokeResponse,
  type TurnContext,
} from 'botbuilder';
import type { AuthenticateRequestResult, BotFrameworkAuthentication } from 'botframework-connector';
import type { Config } from '../config.js';
import { codeOf, ErrorCodes } from '../errors.js';
import type { Knowledge } from '../knowledge/load.js';
import { renderText } from '../knowledge/render.js';
import type { Logger } from '../logger.js';

export interface AdapterDeps {
  config: Config;
  log: Logger;
  knowledge: Knowledge;
  /** Tests point the OpenID metadata URLs at a loopback server (the settings botbuilder reads). */
  authOverrides?: Record<string, string>;
}

/** A CloudAdapter that runs turns already authenticated by the caller (see activity-endpoint.ts). */
export class ClinicAdapter extends CloudAdapter {
  constructor(readonly auth: BotFrameworkAuthentication) {
    super(auth);
  }

  processAuthenticated(
    authenticated: AuthenticateRequestResult,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<InvokeResponse | undefined> {
    return this.processActivity(authenticated, activity, logic);
  }
}

export function createAdapter(deps: AdapterDeps): ClinicAdapter {
  const auth = new ConfigurationBotFrameworkAuthentication({ ...deps.config.botAuth, ...deps.authOverrides });
  const adapter = new ClinicAdapter(auth);
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
