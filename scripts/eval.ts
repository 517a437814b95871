/**
 * npm run eval: score the understanding layer on the held-out set tests/eval/nlu-eval.yaml
 * (written apart from the training examples) and print topic accuracy, out-of-scope recall and
 * precision, red-flag recall and false alarms, entities, the most confused pairs and latency.
 * `npm run eval -- --failures` also lists every miss.
 */
import path from 'node:path';
import { loadNlu } from '../src/nlu/load.js';
import { loadAnswerSet, scoreAnswers } from '../tests/eval/answers.js';
import { evaluate, evaluateRedFlags, loadEvalSet, loadRedFlagSet } from '../tests/eval/evaluate.js';

const showFailures = process.argv.includes('--failures');
const started = performance.now();
const { knowledge, model } = loadNlu(path.resolve('knowledge'));
const buildMs = performance.now() - started;

// Set 1 was also used for error analysis while building; set 2 was written afterwards, by someone
// who saw neither the training examples nor set 1, and nothing was tuned on it.
const SETS = [
  ['tests/eval/nlu-eval.yaml', 'set 1 (used for error analysis)'],
  ['tests/eval/nlu-eval-2.yaml', 'set 2 (untouched)'],
] as const;
for (const [file, label] of SETS) report(file, label);
reportAnswers('tests/eval/answers-heldout.yaml');

/** What the bot says: the rendered reply holds the fact asked (set written from the articles alone). */
function reportAnswers(file: string): void {
  const r = scoreAnswers(knowledge, model, loadAnswerSet(path.resolve(file)));
  const pct = (x: { ok: number; total: number }) =>
    `${((x.ok / Math.max(1, x.total)) * 100).toFixed(1)}%  (${x.ok}/${x.total})`;
  console.log(`\nAnswer content on ${file} (written from the articles alone, scored on the reply's words)\n`);
  console.log(`  single questions: the reply holds the fact   ${pct(r.single)}   target >= 95%`);
  console.log(`  follow-ups without a topic word              ${pct(r.followUp)}`);
  console.log(`  out of scope: no knowledge answer given      ${pct(r.oos)}`);
  if (showFailures) {
    console.log('\n  every miss:');
    for (const f of r.failures)
      console.log(
        `    [${f.id}] "${f.text}"  missing ${f.missing.join(' ')}\n        reply: ${f.reply.replace(/\s+/g, ' ').slice(0, 160)}`,
      );
  }
  const rate = (x: { ok: number; total: number }) => (x.ok / Math.max(1, x.total)).toFixed(3);
  console.log(`\nEVAL answers single=${rate(r.single)} followup=${rate(r.followUp)} oos=${rate(r.oos)}`);
}

reportRedFlags('tests/eval/redflag-heldout.yaml');

/** Red-flag recall and false alarms on the held-out set, for the rule table alone and table + net. */
function reportRedFlags(file: string): void {
  const items = loadRedFlagSet(path.resolve(file));
  const pct = (x: { ok: number; total: number; rate: number }) =>
    `${(x.rate * 100).toFixed(1)}% (${x.ok}/${x.total})`;
  console.log(
    `\nRed flags, held-out: ${items.length} messages (${file}), written apart from the rules and the net`,
  );
  for (const [label, m] of [
    ['rule table alone', { ...model, redFlagNet: undefined }],
    ['table + net', model],
  ] as const) {
    const r = evaluateRedFlags(m, items);
    console.log(
      `  ${label.padEnd(17)} recall ${pct(r.recall)}, emergency recall ${pct(r.emergencyRecall)}; false alarms ${pct(r.falseAlarm)}, emergency false alarms ${pct(r.emergencyFalseAlarm)}`,
    );
    if (showFailures)
      for (const f of r.failures)
        console.log(`    [${f.kind}] "${f.text}"  expected ${f.expected}, got ${f.got}`);
    console.log(
      `EVAL redflag_heldout ${label === 'table + net' ? 'net' : 'table'} recall=${r.recall.rate.toFixed(3)} emergency_recall=${r.emergencyRecall.rate.toFixed(3)} false_alarm=${r.falseAlarm.rate.toFixed(3)} emergency_false_alarm=${r.emergencyFalseAlarm.rate.toFixed(3)}`,
    );
  }
}

function report(file: string, label: string): void {
  const items = loadEvalSet(path.resolve(file));
  const r = evaluate(model, items);

  const pct = (x: { ok: number; total: number; rate: number }) =>
    `${(x.rate * 100).toFixed(1)}%  (${x.ok}/${x.total})`;
  console.log(
    `\nHeld-out ${label}: ${items.length} messages (${file}); model built in ${buildMs.toFixed(0)} ms\n`,
  );
  console.log(`  topic accuracy (top answer correct)   ${pct(r.topic)}   target >= 95%`);
  console.log(`  follow-up aspect                      ${pct(r.aspect)}`);
  console.log(`  conversational intents                ${pct(r.intent)}`);
  console.log(`  out-of-scope recall                   ${pct(r.oosRecall)}   target >= 90%`);
  console.log(`  out-of-scope precision                ${pct(r.oosPrecision)}`);
  console.log(`  red-flag recall                       ${pct(r.redFlagRecall)}   target 100%`);
  console.log(`  red-flag signals found                ${pct(r.signalRecall)}`);
  console.log(`  false alarms on near-misses           ${pct(r.falseAlarm)}   target <= 5%`);
  console.log(`  entities                              ${pct(r.entities)}`);
  console.log(
    `  understand() latency                  p50 ${r.latency.p50.toFixed(3)} ms, p99 ${r.latency.p99.toFixed(3)} ms, max ${r.latency.max.toFixed(2)} ms   target p99 <= 2 ms`,
  );
  console.log('\n  most confused (expected -> got):');
  for (const c of r.confusions.slice(0, 12))
    console.log(`    ${String(c.count).padStart(3)}  ${c.expected} -> ${c.got}`);
  if (showFailures) {
    console.log('\n  every miss:');
    for (const f of r.failures)
      console.log(`    [${f.kind}] "${f.text}"  expected ${f.expected}, got ${f.got}`);
  }
  console.log(
    `\nEVAL set=${file.includes('-2') ? 2 : 1} topic=${r.topic.rate.toFixed(3)} oos_recall=${r.oosRecall.rate.toFixed(3)} oos_precision=${r.oosPrecision.rate.toFixed(3)} redflag_recall=${r.redFlagRecall.rate.toFixed(3)} false_alarm=${r.falseAlarm.rate.toFixed(3)} p99_ms=${r.latency.p99.toFixed(3)}`,
  );
}
