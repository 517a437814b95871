/**
 * npm run audit -- --since 7d: summarise the audit trail of triage decisions (levels, rules, table
 * versions, symptom checks started, finished, stopped by a red flag, abandoned) from the sink the
 * configuration points at (AUDIT_DIR's audit.jsonl, or the Redis stream with REDIS_URL).
 */
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig, readEnvironment } from '../src/config.js';
import { auditReport, formatAuditReport, openSink } from '../src/ops/reports.js';

const { values } = parseArgs({
  options: { since: { type: 'string', default: '7d' }, json: { type: 'boolean' } },
});
try {
  const config = parseConfig(readEnvironment());
  const sink = openSink(config);
  if (!sink) {
    console.error('AUDIT_SINK is off: there is no audit trail to read.');
    process.exit(1);
  }
  const summary = await auditReport(sink, Date.now(), values.since!);
  console.log(values.json ? JSON.stringify(summary, null, 2) : formatAuditReport(summary));
  await sink.close();
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
  process.exit(1);
}
