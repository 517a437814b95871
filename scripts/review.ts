/**
 * npm run review: the questions the bot could not answer (kept only while REVIEW_ENABLED is on),
 * grouped by similarity, each group with how often it was asked, the closest knowledge entries and
 * the file and field to edit. Expired entries (REVIEW_RETENTION_DAYS) are removed first.
 */
import { parseArgs } from 'node:util';
import { parseConfig, readEnvironment } from '../src/config.js';
import { loadKnowledge } from '../src/knowledge/load.js';
import { contentRequirements } from '../src/knowledge/requirements.js';
import { formatReviewReport, openSink, reviewReport } from '../src/ops/reports.js';

const { values } = parseArgs({
  options: { max: { type: 'string', default: '30' }, json: { type: 'boolean' } },
});
try {
  const config = parseConfig(readEnvironment());
  const sink = openSink(config);
  if (!sink) {
    console.error('AUDIT_SINK is off: there are no review entries to read.');
    process.exit(1);
  }
  if (!config.review.enabled) console.log('(REVIEW_ENABLED is off: no new questions are being kept)');
  const knowledge = loadKnowledge(config.knowledgeDir, contentRequirements()).knowledge;
  const report = await reviewReport(sink, Date.now(), config.review.retentionDays, knowledge);
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReviewReport(report, Number(values.max)));
  await sink.close();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
