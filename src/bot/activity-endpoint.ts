/**
 * `POST /api/messages`: check the activity, authenticate the request, then run the turn.
 *
 * Why not just `adapter.process(req, res, logic)`:
 * - It answers every authentication failure it did not classify itself (an unreachable OpenID
 *   metadata endpoint, a malformed token) with 500 and the raw error message (which names the URL
 *   it failed to fetch), and prints the whole stack with console.error. Here authentication runs
 *   first, on the same BotFrameworkAuthentication the adapter uses: any failure is a 401 with a
 *   short JSON body and one structured log line, and the adapter only ever sees authenticated turns.
 * - Its shape check lets through activities our bot code cannot handle (`text` as a number,
 *   `entities` as an object): those are 400 here, before any state is touched.
 * - With no app id (local use) nobody is authenticated, so the bot would POST its replies to any
 *   serviceUrl it is sent, internal addresses included: in that mode only loopback serviceUrls are
 *   accepted.
 */
import type { Activity, ActivityHandler } from 'botbuilder';
import type { BotFrameworkAuthentication } from 'botframework-connector';
import type { Request, Response } from 'restify';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { ClinicAdapter } from './adapter.js';

export interface ActivityEndpointDeps {
  adapter: ClinicAdapter;
  bot: ActivityHandler;
  log: Logger;
  auth: BotFrameworkAuthentication;
  /** No app id: accept only serviceUrls on this machine. */
  loopbackOnly: boolean;
}

const account = z.object({ id: z.string().optional() }).loose();
const entity = z
  .object({ type: z.string().optional(), mentioned: account.optional(), text: z.string().optional() })
  .loose();

/** What the bot code reads of an activity, with the types it assumes. Everything else passes. */
export const activityShape = z
  .object({
    type: z.string().min(1),
    id: z.string().optional(),
    conversation: z.object({ id: z.string().min(1), conversationType: z.string().optional() }).loose(),
    serviceUrl: z.string().min(1),
    channelId: z.string().min(1).optional(),
    text: z.string().optional(),
    from: account.optional(),
    recipient: account.optional(),
    entities: z.array(entity).optional(),
    membersAdded: z.array(account).optional(),
    membersRemoved: z.array(account).optional(),
    attachments: z.array(z.object({}).loose()).optional(),
    action: z.string().optional(),
  })
  .loose();

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status);
  res.json({ error: { code, message } });
}

/** True for http(s) URLs whose host is this machine (localhost, 127.0.0.0/8, ::1). */
export function isLoopbackUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export function activityEndpoint(deps: ActivityEndpointDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const body: unknown = req.body;
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      return sendError(res, 400, 'BadRequest', 'The body must be a JSON Bot Framework activity.');
    }
    const shape = activityShape.safeParse(body);
    if (!shape.success) {
      const fields = [...new Set(shape.error.issues.map((i) => i.path.join('.')))].join(', ');
      return sendError(res, 400, 'BadRequest', `Not a Bot Framework activity: missing or invalid ${fields}.`);
    }
    const activity = body as Activity;
    if (deps.loopbackOnly && !isLoopbackUrl(activity.serviceUrl)) {
      deps.log.warn(
        { code: 'SERVICE_URL_REFUSED', channelId: activity.channelId },
        'refused an activity whose serviceUrl is not on this machine (no MicrosoftAppId: local use only)',
      );
      return sendError(
        res,
        400,
        'ServiceUrlNotAllowed',
        'Without MicrosoftAppId the bot only answers channels on this machine (serviceUrl must be localhost).',
      );
    }

    const header = req.headers.authorization;
    let authenticated: Awaited<ReturnType<BotFrameworkAuthentication['authenticateRequest']>>;
    try {
      authenticated = await deps.auth.authenticateRequest(activity, typeof header === 'string' ? header : '');
    } catch (error) {
      deps.log.warn(
        {
          code: 'AUTH_FAILED',
          channelId: activity.channelId,
          tokenPresent: typeof header === 'string' && header.length > 0,
          err: { name: (error as Error)?.name, status: (error as { statusCode?: number })?.statusCode },
        },
        'request refused: not authenticated',
      );
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendError(res, 401, 'Unauthorized', 'A valid Bot Framework token is required.');
    }

    if (activity.type === 'invoke') {
      // No invoke is implemented (no cards with actions, no task modules, no sign-in): the SDK
      // would answer 501; this is the client asking for something the bot does not offer.
      return sendError(res, 400, 'InvokeNotSupported', 'This bot does not handle invoke activities.');
    }
    try {
      const invoke = await deps.adapter.processAuthenticated(authenticated, activity, (context) =>
        deps.bot.run(context),
      );
      res.status(invoke?.status ?? 200);
      if (invoke?.body !== undefined) res.json(invoke.body);
      else res.end();
    } catch (error) {
      // Turn errors are handled (and logged) by onTurnError; this is the adapter itself failing.
      deps.log.error(
        {
          code: 'ACTIVITY_FAILED',
          conversationId: activity.conversation.id,
          err: { name: (error as Error)?.name },
        },
        'activity could not be processed',
      );
      if (!res.headersSent) sendError(res, 500, 'InternalError', 'Something went wrong on our side.');
    }
  };
}
