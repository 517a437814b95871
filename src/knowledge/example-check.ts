/**
 * Staff tooling: example questions that the trained model reads as another entry, or as out of
 * scope, even though they were taught as this entry's. Such an example does not teach what staff
 * meant (a "fees" example under an entry can still get the out-of-scope reply), so kb:check warns
 * with the file, the example and what the model reads instead.
 */
import type { Problem } from './problems.js';
import type { Knowledge } from './load.js';

export interface ExampleReader {
  /** Labels, most probable first: "topic:<id>", "intent:<name>" or "oos". */
  predict(text: string): ReadonlyArray<{ label: string; p: number }>;
}

export function confusedExamples(knowledge: Knowledge, reader: ExampleReader, minP = 0.5): Problem[] {
  const problems: Problem[] = [];
  for (const entry of knowledge.topics.values()) {
    for (const example of entry.examples) {
      const best = reader.predict(example)[0];
      if (!best || best.label === `topic:${entry.id}` || best.p < minP) continue;
      const other = best.label === 'oos' ? 'an out-of-scope question' : `"${best.label.replace(/^(topic|intent):/, '')}"`;
      problems.push({
        file: entry.file,
        entry: entry.id,
        severity: 'warning',
        message: `the example "${example}" is read as ${other} (${Math.round(best.p * 100)}%), not as this entry`,
        fix:
          best.label === 'oos'
            ? 'add more examples worded like this one, or check intents.yaml out-of-scope examples that say the same thing'
            : `reword it, move it to the entry it belongs to, or add more examples that tell the two entries apart`,
      });
    }
  }
  return problems;
}
