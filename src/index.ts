/**
 * Composition root: config -> logger -> knowledge -> brain -> storage -> adapter -> bot -> app ->
 * listen. Nothing else wires dependencies, and importing this file starts nothing: `main()` runs
 * only when the file is executed.
 */
import { pathToFileURL } from 'node:url';
import type { CloudAdapter } from 'botbuilder';
import { Redis } from 'ioredis';
import type { Server } from 'restify';
import { createApp, type Readiness } from './app.js';
import { createAdapter } from './bot/adapter.js';
import type { Brain } from './bot/brain.js';
import { ClinicBot } from './bot/clinic-bot.js';
import { createClinicBrain } from './bot/clinic-brain.js';
import { createHandoffNotifier } from './bot/handoff.js';
import { mountWebChat } from './channels/directline.js';
import { TurnRunner } from './bot/turn-runner.js';
import { type Config, ConfigError, parseConfig, readEnvironment } from './config.js';
import { liveKnowledge } from './knowledge/live.js';
import { loadKnowledge, loadKnowledgeOrThrow, type Knowledge } from './knowledge/load.js';
import { ContentError } from './knowledge/problems.js';
import { contentRequirements } from './knowledge/requirements.js';
import { createLogger, createTranscriptLogger, type Logger } from './logger.js';
import { buildNluFromKnowledge } from './nlu/load.js';
import { loadNameFinder } from './ops/redact.js';
import { createOps, type Ops } from './ops/setup.js';
import { teamsHandoffMessage } from './bot/teams-card.js';
import { createStore } from './storage/create-store.js';
import type { ConversationStore } from './storage/store.js';

export interface Service {
  server: Server;
  config: Config;
  knowledge: Knowledge;
  store: ConversationStore;
  runner: TurnRunner;
  log: Logger;
  ops: Ops;
  /** Load knowledge/ again; on a validation error keep the current content and log why. */
  reloadKnowledge(): { ok: boolean; problems: string[] };
  /** Stop accepting, finish turns in flight, close storage. */
  stop(): Promise<void>;
}

export interface BuildOptions {
  /** Tests pass their own logger destination, store or clock. */
  logDestination?: NodeJS.WritableStream;
  store?: ConversationStore;
  clock?: () => number;
  brain?: Brain;
  /** Bot Framework authentication settings for tests (OpenID metadata on a loopback server). */
  authOverrides?: Record<string, string>;
  /** Extra routes on the same server (the web chat page, the local Direct Line channel). */
  mount?: (
    server: Server,
    parts: { adapter: CloudAdapter; bot: ClinicBot; knowledge: Knowledge; log: Logger },
  ) => void;
}

export async function buildService(config: Config, options: BuildOptions = {}): Promise<Service> {
  const log = createLogger({
    level: config.log.level,
    pretty: config.log.pretty,
    destination: options.logDestination,
  });
  const clock = options.clock ?? Date.now;
  let model: { source: string; ms: number } = { source: 'none', ms: 0 };
  const brainFor = (k: Knowledge): Brain =>
    options.brain ??
    createClinicBrain({
      knowledge: k,
      nlu: buildNluFromKnowledge(k, { cacheDir: config.modelCacheDir, onModel: (info) => (model = info) }),
      callback: config.handoff.callback,
      reviewDays: config.review.enabled ? config.review.retentionDays : undefined,
    });
  const first = loadKnowledgeOrThrow(config.knowledgeDir, contentRequirements());
  // Content can be reloaded (SIGHUP): everything below holds views that read the current version.
  let content = { knowledge: first, brain: brainFor(first) };
  const knowledge = liveKnowledge(() => content.knowledge);
  const brain: Brain = { turn: (record, input, now) => content.brain.turn(record, input, now) };
  log.info(
    { entries: knowledge.topics.size, model: model.source, ms: Math.round(model.ms) },
    'knowledge loaded, understanding ready',
  );
  const store = options.store ?? createStore(config, log, clock);
  // The review loop's name finder is large: loaded only when the loop is on.
  if (config.review.enabled) await loadNameFinder();
  const ops = createOps(config, store, log, clock);
  const runner = new TurnRunner(store, brain, log, clock, ops.hooks);
  const handoff = config.handoff.webhookUrl
    ? createHandoffNotifier({
        url: config.handoff.webhookUrl,
        shareTranscript: config.handoff.shareTranscript,
        secret: config.handoff.secret,
        now: clock,
        onGiveUp: () => ops.metrics.webhookFailure('webhook'),
        log,
      })
    : undefined;
  const teams = config.handoff.teamsUrl
    ? createHandoffNotifier({
        url: config.handoff.teamsUrl,
        shareTranscript: false,
        target: 'teams',
        encode: teamsHandoffMessage,
        now: clock,
        onGiveUp: () => ops.metrics.webhookFailure('teams'),
        log,
      })
    : undefined;
  if (handoff && !config.handoff.secret) {
    log.warn('HANDOFF_WEBHOOK_SECRET is not set: handoff webhooks are sent unsigned');
  }
  const adapter = createAdapter({ config, log, knowledge, authOverrides: options.authOverrides });
  const bot = new ClinicBot({
    runner,
    knowledge,
    log,
    transcript: createTranscriptLogger(log, config.log.transcripts),
    afterTurn: (id, result, channelId) => {
      if (result.outcome.handoff) {
        handoff?.notify(id, channelId, result.outcome);
        teams?.notify(id, channelId, result.outcome);
      }
    },
  });
  // Web chat rate limits (and Direct Line conversations) shared by replicas: a connection of its
  // own, failing within a second when Redis is down (the limits then fall back to this process).
  const webchatRedis =
    config.redisUrl && config.webchat.enabled
      ? new Redis(config.redisUrl, {
          // Commands wait for a (re)connection, but never longer than the command timeout.
          maxRetriesPerRequest: 0,
          commandTimeout: 1000,
          retryStrategy: (attempt) => Math.min(50 * attempt, 2000),
        })
      : undefined;
  webchatRedis?.on('error', () => undefined); // the store logs the outage; no second log storm
  const readiness = async (): Promise<Readiness> => {
    try {
      await store.ping();
      return { ready: true, checks: { knowledge: 'ok', nlu: 'ok', storage: 'ok' } };
    } catch {
      return { ready: false, checks: { knowledge: 'ok', nlu: 'ok', storage: 'failing' } };
    }
  };
  const server = createApp({
    adapter,
    bot,
    log,
    loopbackOnly: config.authDisabled,
    maxBodyBytes: config.maxBodyBytes,
    readiness,
    mount: (s) => {
      const parts = { adapter, bot, knowledge, log };
      mountWebChat(s, parts, { ...config.webchat, botAuth: config.botAuth, clock, redis: webchatRedis });
      ops.mount(s);
      options.mount?.(s, parts);
    },
  });

  if (config.authDisabled) {
    log.warn('MicrosoftAppId is not set: the bot accepts requests WITHOUT authentication (local use only)');
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Stop accepting; idle keep-alive connections are closed now, busy ones when their turn ends.
      const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
      server.server.closeIdleConnections?.();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
      // A keep-alive connection goes idle when its turn's response is written: close it then,
      // rather than waiting for the client to hang up.
      const sweep = setInterval(() => server.server.closeIdleConnections?.(), 100).unref();
      await Promise.race([
        Promise.all([closed, runner.whenIdle(), handoff?.whenIdle(), teams?.whenIdle()]),
        grace,
      ]);
      clearInterval(sweep);
      // Whatever is still open after the grace period is cut, so a stuck client cannot hold us up.
      server.server.closeAllConnections?.();
      await ops.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      webchatRedis?.disconnect();
    })());

  const reloadKnowledge = (): { ok: boolean; problems: string[] } => {
    const started = performance.now();
    const result = loadKnowledge(config.knowledgeDir, contentRequirements());
    const errors = result.problems.filter((p) => p.severity !== 'warning');
    const problems = errors.map((p) => `${p.file}${p.entry ? ` [${p.entry}]` : ''}: ${p.message}`);
    if (!result.knowledge) {
      ops.metrics.knowledgeReload('rejected');
      log.error(
        { code: 'CONTENT_INVALID', problems: problems.slice(0, 20), count: problems.length },
        'content reload rejected: the last good content is still being served',
      );
      return { ok: false, problems };
    }
    try {
      content = { knowledge: result.knowledge, brain: brainFor(result.knowledge) };
    } catch (error) {
      ops.metrics.knowledgeReload('rejected');
      log.error(
        { code: 'CONTENT_INVALID', err: { name: (error as Error)?.name } },
        'content reload rejected while building understanding: the last good content is still being served',
      );
      return { ok: false, problems: ['understanding could not be built from the new content'] };
    }
    ops.metrics.knowledgeReload('ok');
    log.info(
      {
        entries: result.knowledge.topics.size,
        model: model.source,
        ms: Math.round(performance.now() - started),
      },
      'content reloaded',
    );
    return { ok: true, problems: [] };
  };

  return { server, config, knowledge, store, runner, log, ops, reloadKnowledge, stop };
}

export async function listen(service: Service): Promise<string> {
  await new Promise<void>((resolve) =>
    service.server.listen(service.config.port, service.config.host, resolve),
  );
  const address = service.server.address();
  return `http://${address.address === '::' || address.address === '0.0.0.0' ? 'localhost' : address.address}:${address.port}`;
}

async function main(): Promise<void> {
  const started = performance.now();
  let config: Config;
  try {
    config = parseConfig(readEnvironment());
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${error.message}\nSee .env.example for every setting and what it means.`);
      process.exit(78);
    }
    throw error;
  }
  let service: Service;
  try {
    service = await buildService(config);
  } catch (error) {
    if (error instanceof ContentError) {
      console.error(
        `The bot cannot start because the content in ${config.knowledgeDir} has problems:\n${error.message}`,
      );
      process.exit(65);
    }
    throw error;
  }
  const url = await listen(service);
  service.log.info(
    {
      url,
      endpoint: `${url}/api/messages`,
      readyMs: Math.round(performance.now() - started),
      pid: process.pid,
      auth: !config.authDisabled,
    },
    'bot ready',
  );
  // Idempotent: a process group SIGTERM (systemd) and npm forwarding it arrive as two signals, and
  // a second Ctrl-C is common; only the first starts the shutdown, later ones are noted and ignored
  // (with `once`, the second signal took the default action and cut every turn in flight).
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      service.log.info({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    service.log.info({ signal }, 'shutting down: no new requests, finishing turns in flight');
    void service.stop().then(() => {
      service.log.info('stopped');
      service.log.flush?.();
      process.exit(0);
    });
  };
  process.on('SIGHUP', () => {
    service.log.info({ signal: 'SIGHUP' }, 'reloading content');
    service.reloadKnowledge();
  });
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void main();
}
