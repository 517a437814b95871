/**
 * The review loop against the real server: off by default; when on, the welcome says so, questions
 * the bot could not answer are kept redacted with its best guesses, `npm run review` groups them
 * and names the file to edit, and entries past the retention limit are removed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReviewReport, reviewReport } from '../../src/ops/reports.js';
import { startService, type Running } from '../helpers/service.js';
import { lastReplyKeys, say, waitFor } from './ops-helpers.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

const reviewLines = (dir: string) =>
  existsSync(path.join(dir, 'review.jsonl'))
    ? readFileSync(path.join(dir, 'review.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, any>)
    : [];

describe('review loop (integration)', () => {
  let dir: string;
  let app: Running;
  let now = T0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'clinicbot-review-'));
    app = await startService(
      { AUDIT_DIR: dir, REVIEW_ENABLED: 'true', REVIEW_RETENTION_DAYS: '30' },
      { clock: () => now },
    );
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when the review loop is on, then the welcome data notice says so', async () => {
    await say(app, 'c-review-welcome', 'hi');
    const keys = lastReplyKeys(app, 'c-review-welcome');
    expect(keys).toContain('welcome.privacy_review');
    expect(keys.indexOf('welcome.privacy_review')).toBe(keys.indexOf('welcome.privacy') + 1);
  });

  it('when questions cannot be answered, then they are kept redacted with the best guesses, and answered ones are not', async () => {
    const id = 'c-review-1';
    await say(app, id, 'hi');
    await say(
      app,
      id,
      'My name is Priya Sharma, can you tell me the price of parking on 3rd May? Call 07700 900123 or priya@example.com',
    );
    await say(app, id, 'what is the weather like in Leeds tomorrow');
    await say(app, id, 'what is the weather like in Leeds today');
    await say(app, id, 'what is sciatica');
    await app.service.ops.flush();
    const lines = reviewLines(dir);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const raw = readFileSync(path.join(dir, 'review.jsonl'), 'utf8');
    for (const secret of ['Priya', 'Sharma', '07700', '900123', 'example.com', '3rd May'])
      expect(raw).not.toContain(secret);
    expect(raw).toContain('[name]');
    expect(raw).toContain('[phone]');
    expect(raw).toContain('[email]');
    expect(raw).toContain('[date]');
    expect(lines.every((l) => l.type === 'unanswered' && Array.isArray(l.guesses) && l.at === T0)).toBe(true);
    expect(lines.some((l) => /sciatica/.test(l.text))).toBe(false);
    // Kept text never reaches the logs either.
    expect(app.logs.lines.join('\n')).not.toContain('weather');

    const report = await reviewReport(app.service.ops.sink!, now, 30, app.service.knowledge);
    const weather = report.groups.find((g) => g.examples.some((e) => e.includes('weather')));
    expect(weather?.count).toBe(2);
    expect(weather?.edit.file).toMatch(/^knowledge\//);
    expect(formatReviewReport(report)).toContain('to teach the bot: edit knowledge/');
  });

  it('when entries are older than the retention limit, then they are removed (by the report and at start-up)', async () => {
    const kept = reviewLines(dir).length;
    expect(kept).toBeGreaterThan(0);
    // 29 days later nothing has expired yet.
    expect((await reviewReport(app.service.ops.sink!, T0 + 29 * DAY, 30)).removed).toBe(0);
    // A new entry on day 29, then day 31: the old ones go, the new one stays.
    now = T0 + 29 * DAY;
    await say(app, 'c-review-2', 'what is the weather like in Leeds');
    await app.service.ops.flush();
    const later = await reviewReport(app.service.ops.sink!, T0 + 31 * DAY, 30);
    expect(later.removed).toBe(kept);
    expect(later.entries).toBe(1);
    expect(reviewLines(dir).map((l) => l.at)).toEqual([T0 + 29 * DAY]);

    // A server started 60 days on purges at start-up.
    const restarted = await startService(
      { AUDIT_DIR: dir, REVIEW_ENABLED: 'true' },
      { clock: () => T0 + 60 * DAY },
    );
    try {
      await waitFor(() => reviewLines(dir).length === 0);
    } finally {
      await restarted.close();
    }
  });
});

describe('review loop off (the default)', () => {
  it('when REVIEW_ENABLED is not set, then nothing is kept and the welcome does not mention it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'clinicbot-review-'));
    const app = await startService({ AUDIT_DIR: dir });
    try {
      await say(app, 'c-review-off', 'what is the weather like in Leeds');
      expect(lastReplyKeys(app, 'c-review-off')).not.toContain('welcome.privacy_review');
      await app.service.ops.flush();
      expect(reviewLines(dir)).toEqual([]);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
