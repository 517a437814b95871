/**
 * Every fact of the seed articles is carried by an entry: knowledge/coverage/*.yaml maps each
 * fact-bearing statement to the entries that carry it, and this test keeps that map honest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadKnowledgeOrThrow } from '../../src/knowledge/load.js';
import { contentRequirements } from '../../src/knowledge/requirements.js';
import { REAL_KNOWLEDGE, ROOT } from '../helpers/service.js';

interface Fact {
  source: string;
  fact: string;
  entries: string[];
  note?: string;
}

const dir = path.join(REAL_KNOWLEDGE, 'coverage');
const facts: Fact[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => (parse(readFileSync(path.join(dir, f), 'utf8')) as { facts: Fact[] }).facts);
const knowledge = loadKnowledgeOrThrow(REAL_KNOWLEDGE, contentRequirements());
const seedsDir = path.join(ROOT, '../shared/seeds');
let seeds: string[] = [];
try {
  seeds = readdirSync(seedsDir).filter((f) => f.endsWith('.txt'));
} catch {
  // shared/ sits beside the repository on the team's machines and in CI; elsewhere the seed list is unknown.
}

describe('seed coverage', () => {
  it('when a fact is mapped, then every entry it names exists and carries that source', () => {
    for (const f of facts) {
      for (const id of f.entries) {
        const entry = knowledge.topics.get(id);
        expect(entry, `"${f.fact}" names unknown entry ${id}`).toBeDefined();
      }
    }
  });

  it('when a fact is deliberately not carried, then the map says why', () => {
    for (const f of facts.filter((x) => x.entries.length === 0)) expect(f.note, f.fact).toBeTruthy();
  });

  it.skipIf(seeds.length === 0)(
    'when the seed articles are listed, then each has its facts mapped, almost all of them to entries',
    () => {
      for (const seed of seeds) {
        const mine = facts.filter((f) => f.source === seed);
        expect(mine.length, `${seed} has no mapped facts`).toBeGreaterThanOrEqual(10);
        const carried = mine.filter((f) => f.entries.length > 0).length;
        expect(carried / mine.length, seed).toBeGreaterThanOrEqual(0.8);
      }
    },
  );

  it('when an entry cites a seed, then the seed file name is a real one', () => {
    for (const entry of knowledge.topics.values()) {
      for (const source of entry.sources) {
        if ('seed' in source && seeds.length > 0) expect(seeds, `${entry.file}`).toContain(source.seed);
      }
    }
  });
});
