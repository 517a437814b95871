/**
 * Build the understanding layer from a loaded knowledge base: compile the red-flag detector and
 * train the classifier. Runs once at start-up (well under a second for this knowledge base).
 */
import { loadKnowledgeOrThrow, type Knowledge } from '../knowledge/load.js';
import { contentRequirements } from '../knowledge/requirements.js';
import { compileRedFlags } from './red-flags.js';
import { buildNluModel, type NluModel } from './understand.js';

export function buildNluFromKnowledge(knowledge: Knowledge): NluModel {
  return buildNluModel({
    knowledge,
    language: knowledge.language,
    redFlags: compileRedFlags(knowledge.redFlags),
    triage: knowledge.triage,
  });
}

/** Load knowledge/ (throwing on content errors) and build the model: for scripts and tests. */
export function loadNlu(dir: string): { knowledge: Knowledge; model: NluModel } {
  const knowledge = loadKnowledgeOrThrow(dir, contentRequirements());
  return { knowledge, model: buildNluFromKnowledge(knowledge) };
}
