/**
 * npm run kb:check -- [folder]: validate knowledge/ the way the server does at start-up, and print
 * a summary for staff: entries by type, example questions, reading-level outliers, problems.
 * Exits 1 on any error (warnings do not fail).
 */
import path from 'node:path';
import { contentRequirements } from '../src/knowledge/requirements.js';
import { loadKnowledge } from '../src/knowledge/load.js';
import { createOtherLanguages } from '../src/bot/other-languages.js';
import { confusedExamples } from '../src/knowledge/example-check.js';
import { ContentError, formatProblems } from '../src/knowledge/problems.js';
import { buildNluFromKnowledge } from '../src/nlu/load.js';

const dir = path.resolve(process.argv[2] ?? 'knowledge');
const result = loadKnowledge(dir, contentRequirements());
// The red-flag tables of other languages (knowledge/languages/) are read the way the bot reads them.
if (result.knowledge) {
  try {
    createOtherLanguages(result.knowledge);
  } catch (error) {
    if (!(error instanceof ContentError)) throw error;
    result.problems.push(...error.problems);
  }
}
const errors = result.problems.filter((p) => p.severity !== 'warning');
const warnings = result.problems.filter((p) => p.severity === 'warning');
// Examples the trained model reads as another entry or as out of scope (only when the content loads).
if (result.knowledge && errors.length === 0) {
  const model = buildNluFromKnowledge(result.knowledge, {
    cacheDir: path.resolve('node_modules/.cache/clinic-bot'),
  });
  warnings.push(...confusedExamples(result.knowledge, model.classifier));
}

console.log(`Knowledge base: ${dir}`);
const k = result.knowledge;
if (k) {
  const byType = new Map<string, number>();
  let examples = 0;
  let sections = 0;
  for (const entry of k.topics.values()) {
    byType.set(entry.type, (byType.get(entry.type) ?? 0) + 1);
    examples += entry.examples.length;
    sections += Object.keys(entry.sections).length;
  }
  console.log(`  entries: ${k.topics.size} (${[...byType].map(([t, n]) => `${t} ${n}`).join(', ')})`);
  console.log(`  example questions: ${examples}; follow-up sections: ${sections}`);
  const intentExamples = Object.values(k.intents).reduce((n, list) => n + list.length, 0);
  console.log(
    `  conversational intents: ${Object.keys(k.intents).length} with ${intentExamples} examples; out-of-scope examples: ${k.outOfScope.length}`,
  );
  console.log(`  messages: ${k.messages.size}`);
}
if (result.reading.length > 0) {
  const grades = result.reading.map((r) => r.grade).sort((a, b) => a - b);
  const median = grades[Math.floor(grades.length / 2)] ?? 0;
  console.log(
    `  reading level (Flesch-Kincaid grade; reading age is about grade + 5): median ${median}, ${result.reading.length} parts measured`,
  );
  const outliers = [...result.reading].sort((a, b) => b.grade - a.grade).slice(0, 8);
  console.log('  hardest parts:');
  for (const r of outliers) console.log(`    grade ${r.grade.toFixed(1)}  ${r.file} [${r.part}]`);
}
if (warnings.length) console.log(`\n${warnings.length} warning(s):\n${formatProblems(warnings)}`);
if (errors.length) {
  console.log(`\n${errors.length} error(s):\n${formatProblems(errors)}`);
  console.log(`\nkb:check FAILED: ${errors.length} error(s), ${warnings.length} warning(s)`);
  process.exit(1);
}
console.log(`\nkb:check passed: 0 errors, ${warnings.length} warning(s)`);
