/**
 * Metrics and the audit trail against the real server: /metrics is protected and changes after a
 * turn; every disposition writes one audit event (codes, a hashed conversation id), and
 * `npm run audit`'s summary counts them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashConversationId } from '../../src/ops/audit.js';
import { auditReport, formatAuditReport } from '../../src/ops/reports.js';
import { startService, type Running } from '../helpers/service.js';
import { SELF_CARE_CHECK, lastReplyKeys, say, waitFor } from './ops-helpers.js';

const TOKEN = 'metrics-token-for-tests-0123456789';

async function scrape(app: Running, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(
    `${app.url}/metrics`,
    token ? { headers: { authorization: `Bearer ${token}` } } : {},
  );
  return { status: res.status, text: await res.text() };
}

/** The value of one sample line, e.g. value(text, 'clinicbot_turns_total{kind="message"}'). */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('metrics and audit (integration)', () => {
  let dir: string;
  let app: Running;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'clinicbot-audit-'));
    app = await startService({ METRICS_TOKEN: TOKEN, AUDIT_DIR: dir });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const auditEvents = () =>
    readFileSync(path.join(dir, 'audit.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>);

  it('when /metrics is asked without the token or with a wrong one, then it answers 401', async () => {
    expect((await scrape(app)).status).toBe(401);
    expect((await scrape(app, 'wrong-token-wrong-token')).status).toBe(401);
  });

  it('when a question is answered, then the turn, its latency and the understanding outcome are counted, with process metrics', async () => {
    const before = (await scrape(app, TOKEN)).text;
    await say(app, 'c-metrics-1', 'what is sciatica');
    const after = await scrape(app, TOKEN);
    expect(after.status).toBe(200);
    const turns = 'clinicbot_turns_total{kind="message"}';
    expect(value(after.text, turns)).toBe(value(before, turns) + 1);
    const latency = 'clinicbot_turn_duration_seconds_count{kind="message"}';
    expect(value(after.text, latency)).toBe(value(before, latency) + 1);
    const answered = 'clinicbot_understanding_total{outcome="answered"}';
    expect(value(after.text, answered)).toBe(value(before, answered) + 1);
    expect(value(after.text, 'clinicbot_storage_up{store="memory"}')).toBe(1);
    expect(after.text).toContain('process_cpu_user_seconds_total');
    expect(after.text).toContain('nodejs_eventloop_lag_seconds');
    // Ids and counts only: nothing the patient typed.
    expect(after.text).not.toContain('sciatica');
  });

  it('when a symptom check runs to the end, then one disposition event is written with codes, and the check is counted', async () => {
    const id = 'c-audit-check';
    const before = (await scrape(app, TOKEN)).text;
    for (const text of SELF_CARE_CHECK) await say(app, id, text);
    expect(lastReplyKeys(app, id)).toContain('disposition.self_care');

    await waitFor(() =>
      auditEvents().some((e) => e.type === 'disposition' && e.conversation === hashConversationId(id)),
    );
    const mine = auditEvents().filter((e) => e.conversation === hashConversationId(id));
    const dispositions = mine.filter((e) => e.type === 'disposition');
    expect(dispositions).toHaveLength(1);
    expect(dispositions[0]).toMatchObject({ level: 'C', via: 'triage' });
    expect(typeof dispositions[0]!.version).toBe('string');
    expect(Array.isArray(dispositions[0]!.ruleIds)).toBe(true);
    expect(dispositions[0]!.answers).toMatchObject({
      emergency: expect.any(String),
      age: expect.any(String),
    });
    expect(mine.filter((e) => e.type === 'check').map((e) => e.event)).toEqual(['started']);
    // The raw conversation id and what the patient typed are nowhere in the trail.
    const raw = readFileSync(path.join(dir, 'audit.jsonl'), 'utf8');
    expect(raw).not.toContain(id);
    expect(raw).not.toContain('bum cheek');

    const after = (await scrape(app, TOKEN)).text;
    const series = (s: string) => value(after, s) - value(before, s);
    expect(series('clinicbot_symptom_checks_total{event="started"}')).toBe(1);
    expect(series('clinicbot_symptom_checks_total{event="finished"}')).toBe(1);
    expect(series('clinicbot_dispositions_total{level="C",via="triage"}')).toBe(1);
  });

  it('when a red flag is typed, then its disposition is audited and the rule is counted by id', async () => {
    const id = 'c-audit-flag';
    const before = (await scrape(app, TOKEN)).text;
    await say(app, id, 'I wet myself and my back is agony');
    expect(lastReplyKeys(app, id)).toContain('escalate.emergency');
    await waitFor(() => auditEvents().some((e) => e.conversation === hashConversationId(id)));
    const event = auditEvents().find((e) => e.conversation === hashConversationId(id))!;
    expect(event).toMatchObject({ type: 'disposition', level: 'E', via: 'red_flag' });
    expect(event.ruleIds.length).toBeGreaterThan(0);
    const after = (await scrape(app, TOKEN)).text;
    for (const rule of event.ruleIds as string[]) {
      expect(value(after, `clinicbot_red_flag_rules_total{rule="${rule}"}`), rule).toBeGreaterThan(
        value(before, `clinicbot_red_flag_rules_total{rule="${rule}"}`),
      );
    }
    expect(value(after, 'clinicbot_dispositions_total{level="E",via="red_flag"}')).toBe(
      value(before, 'clinicbot_dispositions_total{level="E",via="red_flag"}') + 1,
    );
  });

  it('when a check is left half way, then it is audited as abandoned, and the audit summary counts levels, rules and checks', async () => {
    const id = 'c-audit-abandon';
    await say(app, id, 'can you check my symptoms');
    await say(app, id, 'no');
    await say(app, id, 'stop');
    await waitFor(() =>
      auditEvents().some((e) => e.conversation === hashConversationId(id) && e.event === 'abandoned'),
    );

    await app.service.ops.flush();
    const summary = await auditReport(app.service.ops.sink!, Date.now(), '1d');
    expect(summary.dispositions).toBe(auditEvents().filter((e) => e.type === 'disposition').length);
    expect(summary.byLevel).toMatchObject({ C: 1, E: 1 });
    expect(summary.checks).toMatchObject({ started: 2, finished: 1, abandoned: 1 });
    expect(Object.keys(summary.byRule).length).toBeGreaterThan(0);
    const printed = formatAuditReport(summary);
    expect(printed).toContain('abandoned');
    // A window that ends before anything happened is empty.
    expect((await auditReport(app.service.ops.sink!, Date.now() - 86_400_000, '1h')).dispositions).toBe(0);
  });
});

describe('metrics off by default', () => {
  it('when METRICS_TOKEN is not set, then there is no /metrics route', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clinicbot-audit-'));
    const app = await startService({ AUDIT_DIR: dir });
    try {
      expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
