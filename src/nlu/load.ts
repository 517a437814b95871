/**
 * Build the understanding layer from a loaded knowledge base: compile the red-flag detector and
 * train the classifier. Training is deterministic, so a model trained once for the same examples
 * can be reused: with a cache folder, the trained classifier is kept under a hash of its training
 * data, and a start-up with unchanged content loads it instead of training (any content edit
 * changes the hash and retrains).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadKnowledgeOrThrow, type Knowledge } from '../knowledge/load.js';
import { contentRequirements } from '../knowledge/requirements.js';
import { DEFAULT_TRAIN_OPTIONS, loadClassifier, trainClassifier, type TextClassifier } from './classifier.js';
import {
  loadRedFlagNet,
  NET_TRAIN_OPTIONS,
  netExamples,
  netSettings,
  trainRedFlagNet,
  type RedFlagNet,
} from './red-flag-net.js';
import { compileRedFlags } from './red-flags.js';
import { buildNluModel, trainingExamples, type NluModel } from './understand.js';

/** Bump when the classifier's code changes in a way that changes what it learns. */
const MODEL_FORMAT = 2; // 2: text read through the one fold (src/text/fold.ts)

export interface NluBuildOptions {
  /** Folder for trained models; none = always train. */
  cacheDir?: string;
  /** Told whether the model was trained or loaded, and how long it took. */
  onModel?: (info: { source: 'trained' | 'cache'; ms: number }) => void;
}

export function buildNluFromKnowledge(knowledge: Knowledge, options: NluBuildOptions = {}): NluModel {
  const started = performance.now();
  const examples = trainingExamples(knowledge);
  let classifier: TextClassifier | undefined;
  let file: string | undefined;
  if (options.cacheDir) {
    const hash = createHash('sha256')
      .update(JSON.stringify({ MODEL_FORMAT, DEFAULT_TRAIN_OPTIONS, examples }))
      .digest('hex')
      .slice(0, 24);
    file = path.join(options.cacheDir, `nlu-${hash}.json`);
    try {
      classifier = loadClassifier(readFileSync(file, 'utf8'));
      options.onModel?.({ source: 'cache', ms: performance.now() - started });
    } catch {
      classifier = undefined; // absent or unreadable: train
    }
  }
  if (!classifier) {
    classifier = trainClassifier(examples);
    options.onModel?.({ source: 'trained', ms: performance.now() - started });
    if (file) {
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, JSON.stringify(classifier.toJSON()));
        renameSync(temp, file); // atomic: a concurrent start never reads half a file
      } catch {
        // A read-only disk only costs the next start its training time.
      }
    }
  }
  const model = buildNluModel(
    {
      knowledge,
      language: knowledge.language,
      redFlags: compileRedFlags(knowledge.redFlags),
      triage: knowledge.triage,
    },
    { classifier },
  );
  const redFlagNet = buildRedFlagNet(knowledge, options);
  return redFlagNet ? { ...model, redFlagNet } : model;
}

/** Texts of the knowledge base that state no warning sign: titles, example questions, intents, out of scope. */
export function knowledgeNoneTexts(knowledge: Knowledge): string[] {
  const out: string[] = [];
  for (const entry of knowledge.topics.values()) out.push(entry.title, ...entry.examples);
  for (const list of Object.values(knowledge.intents)) out.push(...list);
  out.push(...knowledge.outOfScope);
  return out;
}

/** The learned red-flag net (src/nlu/red-flag-net.ts), cached like the classifier; none without its file. */
function buildRedFlagNet(knowledge: Knowledge, options: NluBuildOptions): RedFlagNet | undefined {
  if (!knowledge.redFlagNet) return undefined;
  const settings = netSettings(knowledge.redFlags, knowledge.redFlagNet);
  const examples = netExamples(knowledge.redFlags, knowledge.redFlagNet, knowledgeNoneTexts(knowledge));
  const train = () => trainRedFlagNet(examples, settings);
  if (!options.cacheDir) return train();
  const hash = createHash('sha256')
    .update(
      JSON.stringify({ MODEL_FORMAT, NET_TRAIN_OPTIONS, examples, settings: knowledge.redFlagNet.settings }),
    )
    .digest('hex')
    .slice(0, 24);
  const file = path.join(options.cacheDir, `red-flag-net-${hash}.json`);
  try {
    return loadRedFlagNet(readFileSync(file, 'utf8'), settings);
  } catch {
    // absent or unreadable: train
  }
  const net = train();
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(net.classifier.toJSON()));
    renameSync(temp, file);
  } catch {
    // A read-only disk only costs the next start its training time.
  }
  return net;
}

/** Load knowledge/ (throwing on content errors) and build the model: for scripts and tests. */
export function loadNlu(
  dir: string,
  options: NluBuildOptions = {},
): { knowledge: Knowledge; model: NluModel } {
  const knowledge = loadKnowledgeOrThrow(dir, contentRequirements());
  return { knowledge, model: buildNluFromKnowledge(knowledge, options) };
}
