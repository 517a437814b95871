/**
 * npm run bench:redflag-net: which classifier should the second red-flag net use?
 *
 * Trains the project's softmax (src/nlu/classifier.ts) and natural's BayesClassifier (and, with
 * --with-lr, natural's LogisticRegressionClassifier, which takes minutes) on the same examples the
 * product uses (netExamples: the rule table's examples, knowledge/red-flag-net.yaml, and the
 * knowledge base's questions as "none"), puts each behind the same gates (createRedFlagNet), and
 * scores them on the development set tests/eval/redflag-net-dev.yaml (written apart from the
 * training examples) and on the near-misses and questions of tests/eval/nlu-eval.yaml (set 1).
 * Prints, per classifier and threshold: recall of table + net on the development set's signs, the
 * net's added false alarms, training time and prediction time.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadKnowledgeOrThrow } from '../src/knowledge/load.js';
import { contentRequirements } from '../src/knowledge/requirements.js';
import type { Prediction, TextClassifier } from '../src/nlu/classifier.js';
import { compileRedFlags } from '../src/nlu/red-flags.js';
import {
  createRedFlagNet,
  markNegation,
  netExamples,
  netSettings,
  NONE,
  trainRedFlagNet,
} from '../src/nlu/red-flag-net.js';
import { knowledgeNoneTexts } from '../src/nlu/load.js';
import { loadEvalSet } from '../tests/eval/evaluate.js';

const withLr = process.argv.includes('--with-lr');
const knowledge = loadKnowledgeOrThrow(path.resolve('knowledge'), contentRequirements());
if (!knowledge.redFlagNet) throw new Error('knowledge/red-flag-net.yaml is missing');
const settings = netSettings(knowledge.redFlags, knowledge.redFlagNet);
const examples = netExamples(knowledge.redFlags, knowledge.redFlagNet, knowledgeNoneTexts(knowledge));
const table = compileRedFlags(knowledge.redFlags);

const dev = (
  parse(readFileSync('tests/eval/redflag-net-dev.yaml', 'utf8')) as {
    items: { text: string; sign: string }[];
  }
).items;
const nearMisses = loadEvalSet(path.resolve('tests/eval/nlu-eval.yaml'))
  .filter((i) => i.expect.redFlag !== true)
  .map((i) => i.text);

interface NaturalClassifier {
  addDocument(text: string, label: string): void;
  train(): void;
  getClassifications(text: string): Array<{ label: string; value: number }>;
}
const requireCjs = createRequire(import.meta.url);

/** natural's classifiers behind the project's TextClassifier interface (scores normalised to sum 1). */
function natural(kind: 'bayes' | 'lr'): TextClassifier {
  const file =
    kind === 'bayes'
      ? 'natural/lib/natural/classifiers/bayes_classifier.js'
      : 'natural/lib/natural/classifiers/logistic_regression_classifier.js';
  const Ctor = requireCjs(file) as new () => NaturalClassifier;
  const c = new Ctor();
  for (const e of examples) c.addDocument(markNegation(e.text, settings), e.label);
  c.train();
  const labels = [...new Set(examples.map((e) => e.label))];
  return {
    labels,
    predict(text: string): Prediction[] {
      const raw = c.getClassifications(text);
      const sum = raw.reduce((s, r) => s + Math.max(0, r.value), 0) || 1;
      return raw.map((r) => ({ label: r.label, p: Math.max(0, r.value) / sum })).sort((a, b) => b.p - a.p);
    },
    toJSON() {
      throw new Error('not saved');
    },
  };
}

function score(name: string, classifier: TextClassifier, trainMs: number): void {
  const all = createRedFlagNet(classifier, { ...settings, threshold: 1e-9 });
  const t0 = performance.now();
  const devGaps = dev.map((i) => {
    const found = table.detect(i.text).signals;
    return { ...i, found, gaps: all.gaps(i.text, found) };
  });
  const nearGaps = nearMisses.map((text) => all.gaps(text, table.detect(text).signals));
  const ms = (performance.now() - t0) / (dev.length + nearMisses.length);
  const positives = devGaps.filter((i) => i.sign !== NONE && settings.actsOn.includes(i.sign));
  const negatives = devGaps.filter((i) => i.sign === NONE);
  console.log(
    `\n${name}: trained in ${(trainMs / 1000).toFixed(1)} s, ${ms.toFixed(2)} ms per message (gates included)`,
  );
  console.log(
    `  table alone: dev recall ${positives.filter((i) => i.found.length > 0).length}/${positives.length}`,
  );
  for (const th of [0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9]) {
    const hit = (g: { confidence: number }[]) => g.some((x) => x.confidence >= th);
    const recall = positives.filter((i) => i.found.length > 0 || hit(i.gaps)).length;
    const fa = negatives.filter((i) => hit(i.gaps)).length;
    const nearFa = nearGaps.filter(hit).length;
    console.log(
      `  threshold ${th.toFixed(2)}: dev recall ${recall}/${positives.length}, net false alarms: dev ${fa}/${negatives.length}, set-1 non-red-flag messages ${nearFa}/${nearMisses.length}`,
    );
  }
}

console.log(
  `${examples.length} training examples; dev set ${dev.length}; set 1 non-red-flag ${nearMisses.length}`,
);
let t = performance.now();
const softmax = trainRedFlagNet(examples, settings).classifier;
score('project softmax (src/nlu/classifier.ts)', softmax, performance.now() - t);
t = performance.now();
const bayes = natural('bayes');
score("natural's BayesClassifier", bayes, performance.now() - t);
if (withLr) {
  t = performance.now();
  const lr = natural('lr');
  score("natural's LogisticRegressionClassifier", lr, performance.now() - t);
}
