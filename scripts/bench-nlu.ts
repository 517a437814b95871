/**
 * Public NLU benchmark for the intent classifier (src/nlu/classifier.ts).
 *
 *   npx tsx scripts/bench-nlu.ts        (BENCHMARKS_DIR overrides ../shared/benchmarks)
 *
 * 1. Braun et al. 2017 (SIGDIAL): three corpora, the fixed split of each sentence's `training`
 *    flag, one classifier per corpus, micro-F1 (= accuracy for single-label) per corpus and over
 *    the three test sets together.
 * 2. CLINC150 (Larson et al. 2019, EMNLP), data_full.json, "oos-train" setting: train on `train` +
 *    `oos_train` (oos is one more class); the temperature and the rejection threshold are fitted
 *    on `val` + `oos_val` only; report in-scope accuracy and out-of-scope recall on `test` /
 *    `oos_test`, and the training time.
 * 3. Predict latency p50/p99 on the CLINC model over the test set; train and load time of a
 *    clinic-sized model (60 CLINC intents x 25 training examples).
 *
 * The last line is machine-readable: BENCH braun_f1=... clinc_inscope=... clinc_oos_recall=... clinc_train_s=...
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClassifier, trainClassifier, type Example, type TextClassifier } from '../src/nlu/classifier.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = process.env.BENCHMARKS_DIR ?? resolve(repoRoot, '../shared/benchmarks');

if (!existsSync(resolve(benchDir, 'braun2017')) || !existsSync(resolve(benchDir, 'clinc150'))) {
  console.error(`bench-nlu: benchmark data not found in ${benchDir} (expected braun2017/ and clinc150/).`);
  console.error('Set BENCHMARKS_DIR to the folder that holds them.');
  process.exit(2);
}

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(resolve(benchDir, ...parts), 'utf8')) as T;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(2);
const pct = (x: number): string => (100 * x).toFixed(1);
const pad = (s: string, n: number): string => s.padEnd(n);

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

// ---------------------------------------------------------------------------------------------
// 1. Braun 2017

interface BraunCorpus {
  name: string;
  sentences: Array<{ text: string; intent: string; training: boolean }>;
}

const BRAUN = [
  { file: 'ChatbotCorpus.json', short: 'Chatbot', published: 0.99 },
  { file: 'AskUbuntuCorpus.json', short: 'AskUbuntu', published: 0.94 },
  { file: 'WebApplicationsCorpus.json', short: 'WebApplications', published: 0.8 },
];

console.log('== Braun et al. 2017 (fixed train/test split; micro-F1 = accuracy for one label a sentence)');
console.log(
  `${pad('corpus', 16)} ${pad('train', 6)} ${pad('test', 5)} ${pad('correct', 8)} ${pad('F1', 6)} ${pad('NLP.js', 6)} train_ms`,
);
let braunCorrect = 0;
let braunTotal = 0;
for (const c of BRAUN) {
  const corpus = readJson<BraunCorpus>('braun2017', c.file);
  const train: Example[] = corpus.sentences
    .filter((s) => s.training)
    .map((s) => ({ text: s.text, label: s.intent }));
  const test = corpus.sentences.filter((s) => !s.training);
  const t0 = performance.now();
  const clf = trainClassifier(train);
  const trainMs = performance.now() - t0;
  const correct = test.filter((s) => clf.predict(s.text)[0]?.label === s.intent).length;
  braunCorrect += correct;
  braunTotal += test.length;
  console.log(
    `${pad(c.short, 16)} ${pad(String(train.length), 6)} ${pad(String(test.length), 5)} ${pad(String(correct), 8)} ${pad((correct / test.length).toFixed(3), 6)} ${pad(c.published.toFixed(2), 6)} ${trainMs.toFixed(0)}`,
  );
}
const braunF1 = braunCorrect / braunTotal;
console.log(
  `${pad('micro (all 3)', 16)} ${pad('', 6)} ${pad(String(braunTotal), 5)} ${pad(String(braunCorrect), 8)} ${pad(braunF1.toFixed(3), 6)} 0.93`,
);
console.log(
  'published micro-F1: NLP.js 0.93, Watson 0.92, LUIS 0.91, Rasa 0.88, natural LogisticRegression ~0.90\n',
);

// ---------------------------------------------------------------------------------------------
// 2. CLINC150

type Item = [string, string];
const clinc = readJson<Record<'train' | 'val' | 'test' | 'oos_train' | 'oos_val' | 'oos_test', Item[]>>(
  'clinc150',
  'data_full.json',
);
const OOS = 'oos';
const toExamples = (items: readonly Item[]): Example[] => items.map(([text, label]) => ({ text, label }));

console.log('== CLINC150 data_full, oos-train setting (oos = one more class; threshold fitted on val only)');
const t0 = performance.now();
const model = trainClassifier([...toExamples(clinc.train), ...toExamples(clinc.oos_train)], {
  calibration: [...toExamples(clinc.val), ...toExamples(clinc.oos_val)],
});
const clincTrainMs = performance.now() - t0;

interface Scored {
  label: string;
  p: number;
}
const top = (clf: TextClassifier, text: string): Scored => clf.predict(text)[0] ?? { label: OOS, p: 0 };

/** In-scope accuracy and oos recall when a top probability below `threshold` means oos. */
function score(
  inScope: ReadonlyArray<[Scored, string]>,
  oos: readonly Scored[],
  threshold: number,
): [number, number] {
  const inOk = inScope.filter(([s, gold]) => s.label === gold && s.p >= threshold).length;
  const oosOk = oos.filter((s) => s.label === OOS || s.p < threshold).length;
  return [inOk / inScope.length, oosOk / oos.length];
}

const valIn = clinc.val.map(([t, l]): [Scored, string] => [top(model, t), l]);
const valOos = clinc.oos_val.map(([t]) => top(model, t));
// Threshold rule, fixed before looking at test: among thresholds that keep at least 98% of the
// val in-scope accuracy of no threshold, take the one with the best in-scope accuracy + oos recall.
const [valInNoThreshold] = score(valIn, valOos, 0);
let threshold = 0;
let best = -Infinity;
for (let th = 0; th <= 0.95; th += 0.01) {
  const [a, r] = score(valIn, valOos, th);
  if (a >= 0.98 * valInNoThreshold && a + r > best) {
    best = a + r;
    threshold = Number(th.toFixed(2));
  }
}
const [valAcc, valRecall] = score(valIn, valOos, threshold);

const testIn = clinc.test.map(([t, l]): [Scored, string] => [top(model, t), l]);
const testOos = clinc.oos_test.map(([t]) => top(model, t));
const [inScopeAcc, oosRecall] = score(testIn, testOos, threshold);
const [inScopeNoTh, oosRecallNoTh] = score(testIn, testOos, 0);

console.log(
  `train ${clinc.train.length + clinc.oos_train.length} examples, ${model.labels.length} labels: ${seconds(clincTrainMs)} s`,
);
console.log(
  `threshold on top probability (picked on val): ${threshold.toFixed(2)}; val in-scope ${pct(valAcc)}, val oos recall ${pct(valRecall)}`,
);
console.log(`${pad('system', 34)} ${pad('in-scope acc', 13)} oos recall`);
console.log(`${pad('this classifier, threshold', 34)} ${pad(pct(inScopeAcc), 13)} ${pct(oosRecall)}`);
console.log(`${pad('this classifier, no threshold', 34)} ${pad(pct(inScopeNoTh), 13)} ${pct(oosRecallNoTh)}`);
for (const [name, a, r] of [
  ['BERT (published)', 96.9, 40.3],
  ['MLP (published)', 93.5, 47.4],
  ['Rasa (published)', 91.5, 45.3],
  ['SVM (published)', 91.0, 14.5],
] as const) {
  console.log(`${pad(name, 34)} ${pad(a.toFixed(1), 13)} ${r.toFixed(1)}`);
}
console.log('');

// ---------------------------------------------------------------------------------------------
// 3. Latency and a clinic-sized model

console.log('== Speed');
const texts = [...clinc.test, ...clinc.oos_test].map(([t]) => t);
for (const t of texts.slice(0, 200)) model.predict(t); // warm-up
const lat: number[] = [];
for (const t of texts) {
  const s = performance.now();
  model.predict(t);
  lat.push(performance.now() - s);
}
lat.sort((a, b) => a - b);
console.log(
  `predict latency, CLINC model (${model.labels.length} labels), ${lat.length} test texts: p50 ${percentile(lat, 0.5).toFixed(3)} ms, p99 ${percentile(lat, 0.99).toFixed(3)} ms`,
);

const smallLabels = new Set([...new Set(clinc.train.map(([, l]) => l))].sort().slice(0, 60));
const taken = new Map<string, number>();
const small = clinc.train.filter(([, l]) => {
  if (!smallLabels.has(l)) return false;
  const n = taken.get(l) ?? 0;
  taken.set(l, n + 1);
  return n < 25;
});
const s0 = performance.now();
const smallModel = trainClassifier(toExamples(small));
const smallTrainMs = performance.now() - s0;
const json = JSON.stringify(smallModel.toJSON());
const l0 = performance.now();
const reloaded = loadClassifier(json);
const loadMs = performance.now() - l0;
const smallVal = clinc.val.filter(([, l]) => smallLabels.has(l));
const smallAcc = smallVal.filter(([t, l]) => reloaded.predict(t)[0]?.label === l).length / smallVal.length;
console.log(
  `clinic-sized model (${smallLabels.size} labels, ${small.length} examples, cv calibration): train ${smallTrainMs.toFixed(0)} ms, JSON ${(json.length / 1e6).toFixed(2)} MB, load ${loadMs.toFixed(1)} ms, val accuracy ${pct(smallAcc)}`,
);
console.log('');

console.log(
  `BENCH braun_f1=${braunF1.toFixed(3)} clinc_inscope=${inScopeAcc.toFixed(3)} clinc_oos_recall=${oosRecall.toFixed(3)} clinc_train_s=${(clincTrainMs / 1000).toFixed(1)}`,
);
