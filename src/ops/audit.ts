/**
 * The audit trail of triage decisions: one structured event per disposition, and one per symptom
 * check started, abandoned or cut short by a red flag, so a clinician can sign off the rule table
 * against real traffic (`npm run audit -- --since 7d`).
 *
 * An event holds a hash of the conversation id (events of one chat can be linked, the chat itself
 * cannot be found from them), the time, the level, the rule ids, the triage-table version and the
 * answers as codes. Never text.
 */
import { createHash } from 'node:crypto';
import type { Disposition } from '../../dialogs/types.js';
import type { CheckEvent } from './metrics.js';
import type { SinkEvent } from './event-sink.js';

export interface DispositionEvent extends SinkEvent {
  type: 'disposition';
  conversation: string;
  level: Disposition['level'];
  via: Disposition['via'];
  ruleIds: string[];
  version: string;
  /** Triage question id -> answer code. */
  answers: Record<string, string>;
}

export interface CheckAuditEvent extends SinkEvent {
  type: 'check';
  conversation: string;
  event: Exclude<CheckEvent, 'finished'>;
}

export type AuditEvent = DispositionEvent | CheckAuditEvent;

/** sha256 of the conversation id, first 32 hex characters. */
export function hashConversationId(id: string): string {
  return createHash('sha256').update(`clinicbot:${id}`).digest('hex').slice(0, 32);
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

export function dispositionEvent(input: {
  conversationId: string;
  at: number;
  disposition: Disposition;
  answers: Record<string, string>;
}): DispositionEvent {
  const answers: Record<string, string> = {};
  // Codes only: a value that is not a short code is left out, so no text can slip in.
  for (const [q, code] of Object.entries(input.answers))
    if (CODE.test(q) && typeof code === 'string' && CODE.test(code)) answers[q] = code;
  const d = input.disposition;
  return {
    type: 'disposition',
    at: input.at,
    conversation: hashConversationId(input.conversationId),
    level: d.level,
    via: d.via,
    ruleIds: d.ruleIds.filter((r) => CODE.test(r)),
    version: d.version,
    answers,
  };
}

/** The triage answers held in a stored dialog record (codes), if any. */
export function answersOf(snapshot: unknown): Record<string, string> {
  const context = (snapshot as { context?: { answers?: unknown } } | undefined)?.context;
  const answers = context?.answers;
  if (typeof answers !== 'object' || answers === null) return {};
  return Object.fromEntries(
    Object.entries(answers as Record<string, unknown>).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );
}

export interface AuditSummary {
  from: number;
  to: number;
  dispositions: number;
  byLevel: Record<string, number>;
  byVia: Record<string, number>;
  byRule: Record<string, number>;
  byVersion: Record<string, number>;
  checks: { started: number; finished: number; escalated: number; abandoned: number };
}

export function summariseAudit(events: readonly SinkEvent[], from: number, to: number): AuditSummary {
  const s: AuditSummary = {
    from,
    to,
    dispositions: 0,
    byLevel: {},
    byVia: {},
    byRule: {},
    byVersion: {},
    checks: { started: 0, finished: 0, escalated: 0, abandoned: 0 },
  };
  const bump = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);
  for (const e of events) {
    if (e.type === 'disposition') {
      const d = e as DispositionEvent;
      s.dispositions++;
      bump(s.byLevel, d.level);
      bump(s.byVia, d.via);
      bump(s.byVersion, d.version);
      for (const r of d.ruleIds ?? []) bump(s.byRule, r);
      if (d.via === 'triage') s.checks.finished++;
    } else if (e.type === 'check') {
      const c = e as CheckAuditEvent;
      if (c.event === 'started' || c.event === 'escalated' || c.event === 'abandoned') s.checks[c.event]++;
    }
  }
  return s;
}

/** "7d", "24h", "30m" -> milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([dhm])$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2]!.toLowerCase() as 'd' | 'h' | 'm'];
  return n * unit;
}
