/**
 * createApp(deps): the restify server with its routes, without listen(), so tests can start it on
 * a free port and the composition root decides when to listen.
 */
import type { CloudAdapter } from 'botbuilder';
import restify, { type Request, type Response, type Server } from 'restify';
import { z } from 'zod';
import type { ActivityHandler } from 'botbuilder';
import type { Logger } from './logger.js';

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | 'failing' | 'loading'>;
}

export interface AppDeps {
  adapter: CloudAdapter;
  bot: ActivityHandler;
  log: Logger;
  maxBodyBytes: number;
  readiness: () => Promise<Readiness>;
  /** Extra routes (web chat page, Direct Line) mounted by other modules. */
  mount?: (server: Server) => void;
}

/** The least an activity needs for the adapter to answer it. */
const activityShape = z.object({
  type: z.string().min(1),
  conversation: z.object({ id: z.string().min(1) }),
  serviceUrl: z.string().min(1),
  channelId: z.string().min(1).optional(),
});

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status);
  res.json({ error: { code, message } });
}

export function createApp(deps: AppDeps): Server {
  const server = restify.createServer({ name: 'clinic-bot', handleUncaughtExceptions: false });
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(
    restify.plugins.bodyParser({
      maxBodySize: deps.maxBodyBytes,
      mapParams: false,
      mapFiles: false,
      rejectUnknown: true,
    }),
  );

  server.post('/api/messages', async (req: Request, res: Response) => {
    const body: unknown = req.body;
    if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
      return sendError(res, 400, 'BadRequest', 'The body must be a JSON Bot Framework activity.');
    }
    const shape = activityShape.safeParse(body);
    if (!shape.success) {
      const fields = shape.error.issues.map((i) => i.path.join('.')).join(', ');
      return sendError(res, 400, 'BadRequest', `Not a Bot Framework activity: missing or invalid ${fields}.`);
    }
    await deps.adapter.process(req, res, (context) => deps.bot.run(context));
  });

  server.get('/healthz', async (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });

  server.get('/readyz', async (_req: Request, res: Response) => {
    let readiness: Readiness;
    try {
      readiness = await deps.readiness();
    } catch {
      readiness = { ready: false, checks: { readiness: 'failing' } };
    }
    res.status(readiness.ready ? 200 : 503);
    res.json({ status: readiness.ready ? 'ready' : 'not ready', checks: readiness.checks });
  });

  deps.mount?.(server);

  // Every error leaves as short JSON: no stack trace, no internal message for server errors.
  server.on(
    'restifyError',
    (
      req: Request,
      res: Response,
      err: { statusCode?: number; name?: string; message?: string; body?: { code?: string } } & Record<
        string,
        unknown
      >,
      callback: () => void,
    ) => {
      const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
      const code = err.body?.code ?? (status >= 500 ? 'InternalError' : 'BadRequest');
      const message =
        status === 413
          ? `The request body is larger than ${deps.maxBodyBytes} bytes.`
          : status >= 500
            ? 'Something went wrong on our side.'
            : status === 404
              ? 'There is nothing at this address.'
              : status === 405
                ? 'This address does not accept that method.'
                : 'The request could not be read. Send a JSON Bot Framework activity.';
      if (status >= 500)
        deps.log.error(
          { code, status, route: req.getRoute?.()?.path, err: { name: err.name } },
          'request failed',
        );
      (err as { toJSON?: () => unknown }).toJSON = () => ({ error: { code, message } });
      callback();
    },
  );

  return server;
}
