/**
 * createApp(deps): the restify server with its routes, without listen(), so tests can start it on
 * a free port and the composition root decides when to listen.
 */
import restify, { type Request, type Response, type Server } from 'restify';
import type { ActivityHandler } from 'botbuilder';
import { activityEndpoint } from './bot/activity-endpoint.js';
import type { ClinicAdapter } from './bot/adapter.js';
import { rejectDeepBodies, rejectEncodedBodies } from './http/guards.js';
import type { Logger } from './logger.js';

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | 'failing' | 'loading'>;
}

export interface AppDeps {
  adapter: ClinicAdapter;
  bot: ActivityHandler;
  /** No app id: activities must name a serviceUrl on this machine. */
  loopbackOnly: boolean;
  log: Logger;
  maxBodyBytes: number;
  readiness: () => Promise<Readiness>;
  /** Extra routes (web chat page, Direct Line) mounted by other modules. */
  mount?: (server: Server) => void;
}

export function createApp(deps: AppDeps): Server {
  const server = restify.createServer({ name: 'clinic-bot', handleUncaughtExceptions: false });
  server.pre(rejectEncodedBodies);
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(
    restify.plugins.bodyParser({
      maxBodySize: deps.maxBodyBytes,
      mapParams: false,
      mapFiles: false,
      rejectUnknown: true,
    }),
  );

  server.use(rejectDeepBodies);

  server.post(
    '/api/messages',
    activityEndpoint({
      adapter: deps.adapter,
      bot: deps.bot,
      log: deps.log,
      auth: deps.adapter.auth,
      loopbackOnly: deps.loopbackOnly,
    }),
  );

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
