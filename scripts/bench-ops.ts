/**
 * npm run bench:ops: what operations cost. Prints
 * - the turn-runner hook on the reply path (metrics, audit append; review redaction is deferred), per turn;
 * - redaction per message (with the name finder loaded);
 * - one /metrics rendering;
 * - `npm run audit`'s summary over 100,000 audit events in a JSON-lines file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFileSink } from '../src/ops/event-sink.js';
import { createMetrics } from '../src/ops/metrics.js';
import { createTurnObserver } from '../src/ops/observe.js';
import { loadNameFinder, redact } from '../src/ops/redact.js';
import { auditReport } from '../src/ops/reports.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-ops-'));
const time = async (n: number, f: (i: number) => unknown): Promise<number> => {
  const t = performance.now();
  for (let i = 0; i < n; i++) await f(i);
  return (performance.now() - t) / n;
};

try {
  const sink = createFileSink(dir);
  const metrics = createMetrics({ storagePing: async () => undefined, storeKind: 'memory' });
  const hooks = createTurnObserver({
    metrics,
    sink,
    review: process.env.BENCH_REVIEW !== 'off',
    log: { warn: () => undefined },
  });
  await loadNameFinder();
  const result = {
    record: { v: 1 as const },
    replies: [{ key: 'kb.out_of_scope' }],
    outcome: {
      outOfScope: true,
      disposition: { level: 'S' as const, ruleIds: ['S1'], version: 'v1', via: 'triage' as const },
    },
    intent: 'out_of_scope',
    redFlagRules: ['ce.bladder'],
    topics: [{ id: 'sciatica', confidence: 0.3 }],
  };
  const hookUs =
    (await time(2000, (i) =>
      hooks.onTurn!({
        conversationId: `c${i % 50}`,
        input: {
          kind: 'message',
          text: 'My name is Sam, can I swim on 3rd May? 07700 900123',
          attachments: 0,
        },
        result,
        ms: 5,
        at: Date.now(),
      }),
    )) * 1000;
  await hooks.flush();
  const texts = [
    'my name is daniel okoro and my leg hurts since 12/03/2025',
    'Dr Patel said it was sciatica, call 07700 900123',
    'does sciatica go away on its own',
  ];
  const redactUs = (await time(3000, (i) => redact(texts[i % texts.length]!))) * 1000;
  const scrapeMs = await time(50, () => metrics.registry.metrics());
  for (let i = 0; i < 100_000; i++)
    void sink.append('audit', {
      type: 'disposition',
      at: Date.now(),
      conversation: `h${i}`,
      level: 'C',
      via: 'triage',
      ruleIds: ['C1'],
      version: 'v1',
      answers: { bladder: 'no', age: '18_to_49' },
    });
  await sink.flush();
  const t = performance.now();
  const summary = await auditReport(sink, Date.now() + 1, '7d');
  const auditMs = performance.now() - t;
  console.log(
    `turn hook on the reply path (metrics + audit; redaction deferred): ${hookUs.toFixed(0)} µs per turn`,
  );
  console.log(`redaction: ${redactUs.toFixed(0)} µs per message`);
  console.log(`/metrics rendering: ${scrapeMs.toFixed(2)} ms`);
  console.log(`audit summary of ${summary.dispositions} events: ${auditMs.toFixed(0)} ms`);
  console.log(
    `BENCH hook_us=${hookUs.toFixed(0)} redact_us=${redactUs.toFixed(0)} scrape_ms=${scrapeMs.toFixed(2)} audit_100k_ms=${auditMs.toFixed(0)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
