import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { confusedExamples, type ExampleReader } from '../../src/knowledge/example-check.js';
import { loadKnowledgeOrThrow } from '../../src/knowledge/load.js';
import { contentRequirements } from '../../src/knowledge/requirements.js';
import { REAL_KNOWLEDGE } from '../helpers/service.js';

const knowledge = loadKnowledgeOrThrow(path.resolve(REAL_KNOWLEDGE), contentRequirements());
const entry = knowledge.topics.get('sciatica')!;
const odd = entry.examples[0]!;

/** A reader that reads every example as its own entry, except one. */
function readerWith(label: string, p: number): ExampleReader {
  return {
    predict(text) {
      if (text === odd) return [{ label, p }];
      for (const e of knowledge.topics.values())
        if (e.examples.includes(text)) return [{ label: `topic:${e.id}`, p: 0.9 }];
      return [{ label: 'oos', p: 0.9 }];
    },
  };
}

describe('kb:check example warnings', () => {
  it('when an example is read as out of scope, then staff get a warning naming the file, the example and a fix', () => {
    const problems = confusedExamples(knowledge, readerWith('oos', 0.8));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: entry.file, entry: 'sciatica', severity: 'warning' });
    expect(problems[0]!.message).toContain(odd);
  });

  it('when an example is read as another entry, then the warning names that entry', () => {
    const problems = confusedExamples(knowledge, readerWith('topic:herniated-disc', 0.7));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('herniated-disc');
  });

  it('when every example is read as its own entry, or the other reading is unsure, then there is no warning', () => {
    expect(confusedExamples(knowledge, readerWith('topic:sciatica', 0.9))).toEqual([]);
    expect(confusedExamples(knowledge, readerWith('oos', 0.3))).toEqual([]);
  });
});
