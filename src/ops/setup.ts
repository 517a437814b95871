/**
 * Operations wiring for the composition root: the metrics registry, the event sink (audit trail and
 * review loop) and the turn runner's hooks, built from the configuration.
 */
import type { Server } from 'restify';
import type { TurnHooks } from '../bot/turn-runner.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { ConversationStore } from '../storage/store.js';
import { createFileSink, createRedisSink, type EventSink } from './event-sink.js';
import { createMetrics, mountMetrics, type Metrics } from './metrics.js';
import { createTurnObserver } from './observe.js';

export interface Ops {
  metrics: Metrics;
  sink?: EventSink;
  hooks: TurnHooks;
  /** Resolves when every audit and review event so far is written. */
  flush(): Promise<void>;
  mount(server: Server): void;
  close(): Promise<void>;
}

export function createOps(
  config: Pick<Config, 'metrics' | 'audit' | 'review' | 'redisUrl'>,
  store: ConversationStore,
  log: Logger,
  clock: () => number = Date.now,
): Ops {
  const metrics = createMetrics({
    storagePing: () => store.ping(),
    storeKind: config.redisUrl ? 'redis' : 'memory',
  });
  let lastSinkError = 0;
  const onError = (stream: string, error: unknown) => {
    metrics.auditWriteFailure();
    // One line a minute at most: a full disk must not flood the logs.
    if (Date.now() - lastSinkError < 60_000) return;
    lastSinkError = Date.now();
    log.error(
      {
        code: 'AUDIT_WRITE_FAILED',
        stream,
        err: { name: (error as Error)?.name, code: (error as NodeJS.ErrnoException)?.code },
      },
      'an audit or review event could not be written',
    );
  };
  const sink =
    config.audit.sink === 'off'
      ? undefined
      : config.audit.sink === 'redis' && config.redisUrl
        ? createRedisSink(config.redisUrl, { onError })
        : createFileSink(config.audit.dir, { onError });
  log.info(
    {
      audit: sink ? sink.kind : 'off',
      ...(sink?.kind === 'file' ? { dir: config.audit.dir } : {}),
      review: config.review.enabled ? `on, ${config.review.retentionDays} days` : 'off',
      metrics: config.metrics.token ? 'GET /metrics (bearer token)' : 'off (METRICS_TOKEN not set)',
    },
    'operations',
  );
  const hooks = createTurnObserver({ metrics, sink, review: config.review.enabled, log });
  // Review entries expire: purged at start and every hour (and by `npm run review`).
  let purger: NodeJS.Timeout | undefined;
  if (sink) {
    const retentionMs = config.review.retentionDays * 86_400_000;
    const purge = () =>
      void sink
        .purge('review', clock() - retentionMs)
        .then((n) => n > 0 && log.info({ removed: n }, 'expired review entries removed'))
        .catch((error: unknown) => onError('review', error));
    purge();
    purger = setInterval(purge, 3_600_000).unref();
  }
  return {
    metrics,
    sink,
    hooks,
    flush: () => hooks.flush(),
    mount(server) {
      if (config.metrics.token) mountMetrics(server, metrics, config.metrics.token);
    },
    async close() {
      clearInterval(purger);
      await hooks.flush().catch(() => undefined);
      await sink?.close();
    },
  };
}
