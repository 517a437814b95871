/**
 * The operator's reports behind `npm run audit` and `npm run review`, as functions of a sink and a
 * clock so tests run them against what a real server wrote.
 */
import type { Config } from '../config.js';
import type { Knowledge } from '../knowledge/load.js';
import { parseDuration, summariseAudit, type AuditSummary } from './audit.js';
import { createFileSink, createRedisSink, type EventSink } from './event-sink.js';
import { groupReviewEntries, type ReviewEntry, type ReviewGroup } from './review.js';

/** The sink the configuration points at (undefined when AUDIT_SINK=off). */
export function openSink(config: Pick<Config, 'audit' | 'redisUrl'>): EventSink | undefined {
  if (config.audit.sink === 'off') return undefined;
  if (config.audit.sink === 'redis' && config.redisUrl) return createRedisSink(config.redisUrl);
  return createFileSink(config.audit.dir);
}

export async function auditReport(sink: EventSink, now: number, since: string): Promise<AuditSummary> {
  const ms = parseDuration(since);
  if (ms === undefined)
    throw new Error(`--since must be a number and d, h or m (e.g. 7d, 24h), not "${since}"`);
  const from = now - ms;
  const events = (await sink.read('audit', from)).filter((e) => e.at <= now);
  return summariseAudit(events, from, now);
}

export function formatAuditReport(s: AuditSummary): string {
  const lines = [
    `Audit ${new Date(s.from).toISOString()} to ${new Date(s.to).toISOString()}`,
    `  dispositions: ${s.dispositions}`,
  ];
  const table = (title: string, map: Record<string, number>) => {
    const rows = Object.entries(map).sort((a, b) => b[1] - a[1]);
    lines.push(`  ${title}:${rows.length ? '' : ' none'}`);
    for (const [k, n] of rows) lines.push(`    ${String(n).padStart(6)}  ${k}`);
  };
  table('by level (E emergency, U urgent, S soon, C self-care)', s.byLevel);
  table('by route', s.byVia);
  table('by rule', s.byRule);
  table('by triage-table version', s.byVersion);
  const c = s.checks;
  lines.push(
    `  symptom checks: ${c.started} started, ${c.finished} finished, ${c.escalated} stopped by a red flag, ${c.abandoned} abandoned`,
  );
  return lines.join('\n');
}

/** Purge expired review entries, then group what is left. */
export async function reviewReport(
  sink: EventSink,
  now: number,
  retentionDays: number,
  knowledge?: Pick<Knowledge, 'topics'>,
): Promise<{ removed: number; entries: number; groups: ReviewGroup[] }> {
  const cutoff = now - retentionDays * 86_400_000;
  const removed = await sink.purge('review', cutoff);
  const entries = (await sink.read('review', cutoff)).filter(
    (e): e is ReviewEntry => e.type === 'unanswered',
  );
  return { removed, entries: entries.length, groups: groupReviewEntries(entries, knowledge) };
}

export function formatReviewReport(
  r: { removed: number; entries: number; groups: ReviewGroup[] },
  max = 30,
): string {
  const lines = [
    `Unanswered questions: ${r.entries} in ${r.groups.length} group(s)${r.removed ? ` (${r.removed} expired entries removed)` : ''}`,
  ];
  r.groups.slice(0, max).forEach((g, i) => {
    lines.push(
      '',
      `${i + 1}. asked ${g.count} time(s)  [${Object.entries(g.reasons)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}]`,
    );
    for (const ex of g.examples) lines.push(`     "${ex}"`);
    lines.push(
      `   closest entries: ${g.closest.length ? g.closest.map((c) => `${c.id} (${Math.round(c.best * 100)}%, ${c.times}x)`).join(', ') : 'none'}`,
    );
    lines.push(`   to teach the bot: edit ${g.edit.file}, field ${g.edit.field}`);
  });
  if (r.groups.length > max) lines.push('', `... and ${r.groups.length - max} smaller group(s)`);
  return lines.join('\n');
}
