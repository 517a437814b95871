/**
 * Prometheus metrics (prom-client): how the bot is doing, as ids and counts only, never text.
 * One registry per service (no global state), so tests can run several services in one process.
 *
 * GET /metrics is protected by a bearer token (METRICS_TOKEN); without a token configured the route
 * does not exist (404), so nothing is exposed by accident.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Request, Response, Server } from 'restify';
import type { Level } from '../../dialogs/types.js';

/** What an idle-state message came to, for the understanding counter. */
export type UnderstandingOutcome = 'answered' | 'did_you_mean' | 'out_of_scope' | 'not_understood';
/** What happened to a symptom check in a turn. */
export type CheckEvent = 'started' | 'finished' | 'escalated' | 'abandoned';

export interface Metrics {
  readonly registry: Registry;
  turn(kind: 'message' | 'joined', seconds: number): void;
  understanding(outcome: UnderstandingOutcome): void;
  check(event: CheckEvent): void;
  disposition(level: Level, via: string): void;
  redFlagRule(ruleId: string): void;
  handoff(reason: string, callback: boolean): void;
  webhookFailure(target: 'webhook' | 'teams'): void;
  storageError(op: string): void;
  auditWriteFailure(): void;
  knowledgeReload(result: 'ok' | 'rejected'): void;
}

export interface MetricsOptions {
  /** Resolves when conversation storage answers (the Redis/memory health gauge). */
  storagePing: () => Promise<void>;
  storeKind: 'redis' | 'memory';
  /** Give up on the health ping after this long. Default 1000 ms. */
  pingTimeoutMs?: number;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const turns = new Counter({
    name: 'clinicbot_turns_total',
    help: 'Turns handled (a message, or someone joining the chat).',
    labelNames: ['kind'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'clinicbot_turn_duration_seconds',
    help: 'Time to handle a turn: load state, understand, decide, save.',
    labelNames: ['kind'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const understanding = new Counter({
    name: 'clinicbot_understanding_total',
    help: 'Questions by outcome: answered, did-you-mean, out of scope, not understood.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const checks = new Counter({
    name: 'clinicbot_symptom_checks_total',
    help: 'Symptom checks started, finished (a disposition), escalated by a red flag mid-check, or abandoned.',
    labelNames: ['event'] as const,
    registers,
  });
  const dispositions = new Counter({
    name: 'clinicbot_dispositions_total',
    help: 'Dispositions given, by level (E, U, S, C) and how they were reached (triage, red_flag).',
    labelNames: ['level', 'via'] as const,
    registers,
  });
  const redFlags = new Counter({
    name: 'clinicbot_red_flag_rules_total',
    help: 'Red-flag rules that fired, by rule id.',
    labelNames: ['rule'] as const,
    registers,
  });
  const handoffs = new Counter({
    name: 'clinicbot_handoffs_total',
    help: 'Handoffs to clinic staff, by reason and whether a call back was requested.',
    labelNames: ['reason', 'callback'] as const,
    registers,
  });
  const webhookFailures = new Counter({
    name: 'clinicbot_webhook_failures_total',
    help: 'Handoff deliveries that failed for good (after every retry), by target.',
    labelNames: ['target'] as const,
    registers,
  });
  const storageErrors = new Counter({
    name: 'clinicbot_storage_errors_total',
    help: 'Conversation storage operations that failed, by operation.',
    labelNames: ['op'] as const,
    registers,
  });
  const auditFailures = new Counter({
    name: 'clinicbot_audit_write_failures_total',
    help: 'Audit or review events that could not be written to their sink.',
    registers,
  });
  const reloads = new Counter({
    name: 'clinicbot_knowledge_reloads_total',
    help: 'Content reloads (SIGHUP), by result: ok, or rejected (the last good content stays).',
    labelNames: ['result'] as const,
    registers,
  });
  const pingTimeoutMs = options.pingTimeoutMs ?? 1000;
  new Gauge({
    name: 'clinicbot_storage_up',
    help: 'Whether conversation storage (Redis, or memory) answers a ping at scrape time: 1 yes, 0 no.',
    labelNames: ['store'] as const,
    registers,
    async collect() {
      let up = 0;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          options.storagePing(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), pingTimeoutMs);
          }),
        ]);
        up = 1;
      } catch {
        up = 0;
      } finally {
        clearTimeout(timer);
      }
      this.set({ store: options.storeKind }, up);
    },
  });

  return {
    registry,
    turn: (kind, seconds) => {
      turns.inc({ kind });
      latency.observe({ kind }, seconds);
    },
    understanding: (outcome) => understanding.inc({ outcome }),
    check: (event) => checks.inc({ event }),
    disposition: (level, via) => dispositions.inc({ level, via }),
    redFlagRule: (rule) => redFlags.inc({ rule }),
    handoff: (reason, callback) => handoffs.inc({ reason, callback: callback ? 'yes' : 'no' }),
    webhookFailure: (target) => webhookFailures.inc({ target }),
    storageError: (op) => storageErrors.inc({ op }),
    auditWriteFailure: () => auditFailures.inc(),
    knowledgeReload: (result) => reloads.inc({ result }),
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether an Authorization header carries the token (constant-time comparison). */
export function hasBearerToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
  if (!match) return false;
  return timingSafeEqual(digest(match[1]!.trim()), digest(token));
}

/** GET /metrics in the Prometheus text format, for a scraper that sends `Authorization: Bearer <token>`. */
export function mountMetrics(server: Server, metrics: Metrics, token: string): void {
  server.get('/metrics', async (req: Request, res: Response) => {
    if (!hasBearerToken(req.header('authorization'), token)) {
      res.header('www-authenticate', 'Bearer realm="metrics"');
      res.status(401);
      res.json({ error: { code: 'Unauthorized', message: 'Send the metrics token as a bearer token.' } });
      return;
    }
    const body = await metrics.registry.metrics();
    res.setHeader('content-type', metrics.registry.contentType);
    res.writeHead(200);
    res.end(body);
  });
}
