#!/usr/bin/env node
/* global process, console */
/**
 * `npm run bench:memory`: where the product's memory goes, measured after a full garbage
 * collection (run with --expose-gc): the modules loaded, the service built (knowledge, trained
 * model, web chat), then N conversations of two real turns each held in the in-memory store.
 * Runs the compiled build (`npm run build` first; `npm start` builds too).
 */
import { parseConfig } from '../../dist/src/config.js';
import { buildService } from '../../dist/src/index.js';

const N = Number(process.argv[process.argv.indexOf('--conversations') + 1]) || 10_000;
const mb = (n) => (n / 1048576).toFixed(0);
const rows = [];
const measure = (label) => {
  globalThis.gc();
  const m = process.memoryUsage();
  rows.push({ label, rss: m.rss, heap: m.heapUsed });
  console.log(
    `${label.padEnd(28)} RSS ${mb(m.rss).padStart(4)} MB   heap used ${mb(m.heapUsed).padStart(4)} MB` +
      `   heap total ${mb(m.heapTotal).padStart(4)} MB   external ${mb(m.external).padStart(3)} MB`,
  );
};

measure('modules loaded');
const config = parseConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'production', WEBCHAT_ENABLED: 'true' });
const service = await buildService(config);
measure('service built');
const texts = ['hi', 'what is sciatica', 'can you check my symptoms', 'how is it treated?'];
for (let i = 0; i < N; i++) {
  for (let t = 0; t < 2; t++) {
    await service.runner.run(`mem-${i}`, {
      kind: 'message',
      text: texts[(i + t) % texts.length],
      attachments: 0,
    });
  }
}
measure(`${N} conversations held`);
const [, built, held] = rows;
console.log(
  `BENCH_MEMORY conversations=${N} rss_mb=${mb(held.rss)} heap_mb=${mb(held.heap)} ` +
    `built_rss_mb=${mb(built.rss)} per_conversation_bytes=${Math.round((held.heap - built.heap) / N)}`,
);
await service.stop();
process.exit(0);
