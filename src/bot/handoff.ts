/**
 * The handoff webhook: when a turn hands the patient to a person, POST a structured summary to the
 * clinic's system. Codes and ids only, never message text. Delivery runs in the background with
 * retries (exponential backoff with jitter); it never delays the reply, never throws into the turn,
 * and staff see every failure in the logs (code HANDOFF_WEBHOOK_FAILED, conversation id, attempt,
 * HTTP status). Pending deliveries are tracked so graceful shutdown can wait for them briefly.
 * Clock, sleep, randomness, ids and fetch are injected so tests are fast and deterministic.
 */
import { randomUUID } from 'node:crypto';
import type { Disposition, Level, TurnOutcome } from '../../dialogs/types.js';
import { ErrorCodes } from '../errors.js';
import type { Logger } from '../logger.js';
import { signWebhook } from './webhook-signature.js';

/** The JSON body the clinic's system receives. Bump `version` on any breaking change. */
export interface HandoffSummary {
  type: 'clinicbot.handoff';
  version: 1;
  /** Unique per handoff and the same on every retry: the receiver de-duplicates on it. */
  id: string;
  conversationId: string;
  channelId: string;
  /** ISO 8601 time the handoff happened (not the time of the attempt). */
  at: string;
  reason: NonNullable<TurnOutcome['handoff']>['reason'];
  disposition?: Pick<Disposition, 'level' | 'ruleIds' | 'version' | 'via'>;
  /** Triage answers: question id -> answer code. */
  answers: Record<string, string>;
  /** Only with TRANSCRIPT_SHARING on, and only what the host passes to notify(). */
  transcript?: HandoffTranscriptLine[];
  /** The patient asked to be called back, and said who and where (personal data, with consent). */
  callback?: { name: string; phone: string };
  /** Whether the clinic was open when the patient asked. */
  clinicOpen?: boolean;
}

export interface HandoffTranscriptLine {
  direction: 'in' | 'out';
  text: string;
}

/** The part of fetch the notifier uses (global fetch fits). */
export type HandoffFetch = (
  url: string,
  init: {
    method: 'POST';
    headers: Record<string, string>;
    body: string;
    signal: AbortSignal;
    redirect: 'manual';
  },
) => Promise<{ status: number; body?: { cancel(): Promise<void> } | null }>;

export interface HandoffNotifierOptions {
  url: string;
  /** TRANSCRIPT_SHARING: include the transcript the host passes (if any). Off: codes only. */
  shareTranscript: boolean;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  fetch?: HandoffFetch;
  /** Waits between attempts. */
  sleep?: (ms: number) => Promise<void>;
  /** 0 <= x < 1, for jitter. */
  random?: () => number;
  /** Milliseconds since the epoch, for the summary's `at`. */
  now?: () => number;
  /** Delivery ids (idempotency keys). */
  newId?: () => string;
  /** Attempts in all, the first included. Default 4. */
  maxAttempts?: number;
  /** Wait before the 2nd attempt; doubled before each later one (before jitter). Default 500 ms. */
  baseDelayMs?: number;
  /** Per-request timeout. Default 5 s. */
  timeoutMs?: number;
  /** Deliveries in flight at most; more are dropped and logged (the webhook is down under load). Default 1000. */
  maxPending?: number;
  /** Standard Webhooks secret (whsec_...): every attempt is signed (src/bot/webhook-signature.ts). */
  secret?: string;
  /** Which receiver this is, for logs and metrics. Default "webhook". */
  target?: 'webhook' | 'teams';
  /** The body to send for a summary. Default: the summary as JSON. */
  encode?: (summary: HandoffSummary) => unknown;
  /** Called when a delivery fails for good (metrics). */
  onGiveUp?: () => void;
}

export interface HandoffNotifier {
  /**
   * Queue the summary of a turn whose outcome has `handoff`; does nothing otherwise. Returns at
   * once and never throws. `transcript` is used only when transcript sharing is on.
   */
  notify(
    conversationId: string,
    channelId: string,
    outcome: TurnOutcome,
    transcript?: readonly HandoffTranscriptLine[],
  ): void;
  /** Resolves when no delivery is pending (graceful shutdown races it against its grace period). */
  whenIdle(): Promise<void>;
  /** Deliveries in flight or waiting to retry. */
  readonly pending: number;
}

export const HANDOFF_DEFAULTS = {
  maxAttempts: 4,
  baseDelayMs: 500,
  timeoutMs: 5_000,
  maxPending: 1_000,
} as const;

/** Answer codes, question ids, rule ids, versions: short tokens, no spaces. Anything else is dropped. */
const CODE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const LEVELS: ReadonlySet<Level> = new Set<Level>(['E', 'U', 'S', 'C']);
const VIAS: ReadonlySet<Disposition['via']> = new Set<Disposition['via']>(['triage', 'red_flag']);
const REASONS: ReadonlySet<string> = new Set(['requested', 'out_of_scope', 'not_understood', 'triage']);

/**
 * Whether a failed status is worth another try: 5xx, 408 (timeout) and 429 (too many requests).
 * Other 4xx will fail the same way again; so will 3xx (redirects are not followed: the summary goes
 * only to the configured address).
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Wait before attempt `attempt + 1`: base * 2^(attempt-1), scaled by a random factor in [0.5, 1.5). */
export function backoffDelay(attempt: number, baseDelayMs: number, random: () => number): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(baseDelayMs * 2 ** (attempt - 1) * (0.5 + r));
}

/**
 * The summary for one handoff: codes only. Values that do not look like codes are left out, so a
 * bug upstream cannot leak what the patient typed.
 */
export function buildHandoffSummary(input: {
  id: string;
  conversationId: string;
  channelId: string;
  at: number;
  handoff: NonNullable<TurnOutcome['handoff']>;
  transcript?: readonly HandoffTranscriptLine[];
}): HandoffSummary {
  const { handoff } = input;
  const answers: Record<string, string> = {};
  for (const [question, code] of Object.entries(handoff.answers ?? {})) {
    if (CODE.test(question) && typeof code === 'string' && CODE.test(code)) answers[question] = code;
  }
  const summary: HandoffSummary = {
    type: 'clinicbot.handoff',
    version: 1,
    id: input.id,
    conversationId: input.conversationId,
    channelId: input.channelId,
    at: new Date(input.at).toISOString(),
    reason: REASONS.has(handoff.reason) ? handoff.reason : 'requested',
    answers,
  };
  const d = handoff.disposition;
  if (d && LEVELS.has(d.level) && VIAS.has(d.via)) {
    summary.disposition = {
      level: d.level,
      ruleIds: d.ruleIds.filter((r) => CODE.test(r)),
      version: CODE.test(d.version) ? d.version : 'unknown',
      via: d.via,
    };
  }
  const cb = handoff.callback;
  if (cb && typeof cb.name === 'string' && typeof cb.phone === 'string' && cb.name && cb.phone) {
    summary.callback = { name: cb.name.slice(0, 60), phone: cb.phone.slice(0, 32) };
  }
  if (typeof handoff.clinicOpen === 'boolean') summary.clinicOpen = handoff.clinicOpen;
  if (input.transcript && input.transcript.length > 0) {
    summary.transcript = input.transcript.map((l) => ({ direction: l.direction, text: l.text }));
  }
  return summary;
}

type AttemptResult =
  | { ok: true; status: number }
  | { ok: false; status?: number; error?: 'timeout' | 'network'; retryable: boolean };

export function createHandoffNotifier(options: HandoffNotifierOptions): HandoffNotifier {
  const {
    url,
    shareTranscript,
    log,
    fetch: doFetch = (u, init) => globalThis.fetch(u, init),
    sleep = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
    random = Math.random,
    now = Date.now,
    newId = randomUUID,
    maxAttempts = HANDOFF_DEFAULTS.maxAttempts,
    baseDelayMs = HANDOFF_DEFAULTS.baseDelayMs,
    timeoutMs = HANDOFF_DEFAULTS.timeoutMs,
    maxPending = HANDOFF_DEFAULTS.maxPending,
    secret,
    target = 'webhook',
    encode = (summary: HandoffSummary) => summary,
    onGiveUp,
  } = options;
  const code = ErrorCodes.HANDOFF_WEBHOOK_FAILED.code;
  let pending = 0;
  let idleWaiters: Array<() => void> = [];

  const safeLog = (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string) => {
    try {
      log[level](fields, msg);
    } catch {
      // A broken log destination must not break delivery or the turn.
    }
  };

  async function attempt(body: string, id: string): Promise<AttemptResult> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': id,
          'user-agent': 'clinic-bot-handoff/1',
          // Signed per attempt: the timestamp is when this attempt was sent.
          ...(secret ? signWebhook(secret, id, Math.floor(now() / 1000), body) : {}),
        },
        body,
        signal: controller.signal,
        redirect: 'manual',
      });
      // The receiver's answer is not read (it is not ours to log); free the connection.
      res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      return { ok: false, status: res.status, retryable: isRetryableStatus(res.status) };
    } catch {
      // Error messages can carry the URL (and a secret in it): only the kind is kept.
      return { ok: false, error: controller.signal.aborted ? 'timeout' : 'network', retryable: true };
    } finally {
      clearTimeout(timer);
    }
  }

  async function deliver(summary: HandoffSummary): Promise<void> {
    const body = JSON.stringify(encode(summary));
    const { conversationId, id: deliveryId } = summary;
    for (let n = 1; n <= maxAttempts; n++) {
      const result = await attempt(body, deliveryId);
      if (result.ok) {
        safeLog(
          'info',
          { conversationId, deliveryId, target, attempt: n, status: result.status },
          'handoff webhook delivered',
        );
        return;
      }
      const willRetry = result.retryable && n < maxAttempts;
      safeLog(
        willRetry ? 'warn' : 'error',
        {
          code,
          conversationId,
          deliveryId,
          target,
          attempt: n,
          maxAttempts,
          status: result.status,
          error: result.error,
          willRetry,
        },
        willRetry ? 'handoff webhook failed; will retry' : 'handoff webhook failed; giving up',
      );
      if (!willRetry) {
        try {
          onGiveUp?.();
        } catch {
          // Metrics never break delivery.
        }
        return;
      }
      await sleep(backoffDelay(n, baseDelayMs, random));
    }
  }

  function settle(): void {
    pending--;
    if (pending === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  return {
    notify(conversationId, channelId, outcome, transcript) {
      try {
        const handoff = outcome.handoff;
        if (!handoff) return;
        if (pending >= maxPending) {
          safeLog(
            'error',
            { code, conversationId, attempt: 0, error: 'queue_full', pending },
            'handoff webhook failed; too many deliveries pending, dropped',
          );
          return;
        }
        const summary = buildHandoffSummary({
          id: newId(),
          conversationId,
          channelId,
          at: now(),
          handoff,
          // The host does not keep transcripts today, so it passes none and the field stays out.
          transcript: shareTranscript ? transcript : undefined,
        });
        pending++;
        // Start on a later tick: nothing of the delivery runs inside the turn.
        void Promise.resolve()
          .then(() => deliver(summary))
          .catch(() => safeLog('error', { code, conversationId }, 'handoff webhook failed unexpectedly'))
          .finally(settle);
      } catch {
        safeLog('error', { code, conversationId }, 'handoff webhook could not be queued');
      }
    },
    whenIdle() {
      if (pending === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    get pending() {
      return pending;
    },
  };
}
