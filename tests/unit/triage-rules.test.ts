import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { assess, CLINICAL_SIGNALS, isRedFlagLevel, type TriageTable } from '../../dialogs/triage-rules.js';
import { LEVEL_ORDER, type Level } from '../../dialogs/types.js';
import { loadTriageTable } from '../../src/knowledge/clinical-tables.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const loaded = loadTriageTable(path.join(root, 'knowledge/triage-rules.yaml'));
if (!loaded.table)
  throw new Error(`knowledge/triage-rules.yaml cannot be used: ${JSON.stringify(loaded.problems)}`);
const table = loaded.table;
const levelOf = (signals: string[]): Level => assess(signals, table).level;
const rank = (level: Level): number => LEVEL_ORDER.indexOf(level);

const CAUDA_EQUINA = [
  'ce.saddle_numbness',
  'ce.bladder',
  'ce.bowel',
  'ce.sexual',
  'ce.bilateral_sciatica',
  'ce.bilateral_weakness',
];
const NERVE = [
  'neuro.weakness_one_leg',
  'neuro.foot_drop',
  'neuro.numbness',
  'neuro.walking',
  ...CAUDA_EQUINA,
];

describe('knowledge/triage-rules.yaml', () => {
  it('when loaded, then it has no problems and is a versioned draft awaiting sign-off', () => {
    expect(loaded.problems).toEqual([]);
    expect(table.version).toBe('2026-11-22.1');
    expect(table.signedOffBy).toBe('');
    expect(table.status).toMatch(/^draft/);
  });

  it('when a rule names a reason, then knowledge/messages/reasons.yaml has it, and every reason there is used', () => {
    const reasons = parseYaml(readFileSync(path.join(root, 'knowledge/messages/reasons.yaml'), 'utf8')) as {
      format: number;
      messages: Record<string, string>;
    };
    expect(reasons.format).toBe(1);
    const used = new Set(table.rules.map((r) => r.reason));
    const defined = Object.keys(reasons.messages);
    expect([...used].filter((k) => !defined.includes(k))).toEqual([]);
    expect(defined.filter((k) => !used.has(k))).toEqual([]);
    for (const key of defined) expect(reasons.messages[key]?.trim().length).toBeGreaterThan(0);
  });

  it('when every rule is listed, then each names a source', () => {
    for (const rule of table.rules) expect(rule.source?.length, rule.id).toBeGreaterThan(0);
  });

  // shared/clinical.md section 2, row by row.
  it.each<[string, string[], Level]>([
    ...CAUDA_EQUINA.map((s): [string, string[], Level] => [`cauda equina sign ${s}`, [s], 'E']),
    ['back pain after a serious accident', ['trauma.major'], 'E'],
    ['back pain with chest pain', ['chest_pain'], 'E'],
    ['fainting or a pulsing belly (aortic aneurysm)', ['aaa'], 'E'],
    ...NERVE.map((s): [string, string[], Level] => [
      `known cancer + nerve symptom ${s}`,
      ['history.cancer', s],
      'E',
    ]),
    ['fever + new weakness', ['systemic.fever', 'neuro.weakness_one_leg'], 'E'],
    ['fever + numbness', ['systemic.fever', 'neuro.numbness'], 'E'],
    ['weakness in one leg', ['neuro.weakness_one_leg'], 'U'],
    ['foot drop', ['neuro.foot_drop'], 'U'],
    ['weakness in both legs', ['ce.bilateral_weakness'], 'E'],
    ['high temperature', ['systemic.fever'], 'U'],
    ['injecting drugs, weak immune system, recent infection or spinal procedure', ['infection.risk'], 'U'],
    ['past cancer, no nerve symptoms', ['history.cancer'], 'U'],
    ['unexplained weight loss', ['weight_loss'], 'U'],
    ['a lump on the back', ['back.lump'], 'U'],
    ['pain at night or at rest', ['pain.night'], 'U'],
    ['pain worse on coughing or sneezing', ['pain.cough'], 'U'],
    ['pain between the shoulder blades', ['pain.thoracic'], 'U'],
    ['possible fracture', ['fracture.risk'], 'U'],
    ['possible fracture after major trauma', ['fracture.risk', 'trauma.major'], 'E'],
    ['possible fracture with nerve symptoms', ['fracture.risk', 'neuro.numbness'], 'E'],
    ['age 60 or over', ['age.over_60'], 'S'],
    ['new back pain starting over 50', ['onset.over_50'], 'S'],
    ['new back pain under 20', ['age.under_20'], 'S'],
    ['inflammatory pattern', ['inflammatory'], 'S'],
    ['sciatica not improving', ['sciatica.not_improving'], 'S'],
    ['pain for more than 6 weeks', ['duration.over_6_weeks'], 'S'],
    ['unbearable pain', ['pain.unbearable'], 'U'],
    ['pregnancy', ['pregnancy'], 'S'],
    ['a child', ['child'], 'S'],
    ['calf pain with swelling', ['calf_swelling'], 'U'],
    ['none of the above', [], 'C'],
  ])('when %s, then the level is the one clinical.md gives', (_row, signals, level) => {
    expect(levelOf(signals)).toBe(level);
  });

  it('when only numbness in a leg is reported, then it is not a red flag on its own', () => {
    expect(isRedFlagLevel(levelOf(['neuro.numbness']))).toBe(false);
  });

  it('when signals of different levels come together, then the highest level wins and names its rules', () => {
    const a = assess(['pain.night', 'age.over_60', 'inflammatory'], table);
    expect(a.level).toBe('U');
    expect(a.ruleIds).toEqual(['night-pain']);
    expect(a.reasons).toEqual(['reason.night_pain']);
    expect(levelOf(['pregnancy', 'ce.bladder'])).toBe('E');
    expect(levelOf(['history.cancer', 'age.over_60'])).toBe('U');
  });

  it('when several rules reach the top level, then all of them are listed with their reasons', () => {
    const a = assess(['ce.bladder', 'ce.bowel', 'pain.night'], table);
    expect(a.level).toBe('E');
    expect(a.ruleIds.sort()).toEqual(['ce-bladder', 'ce-bowel']);
    expect(a.reasons.sort()).toEqual(['reason.ce_bladder', 'reason.ce_bowel']);
    expect(a.version).toBe(table.version);
  });

  it('when there are no signals, then the level is C with no rules', () => {
    expect(assess([], table)).toEqual({ level: 'C', ruleIds: [], reasons: [], version: table.version });
  });

  it('when signals are unknown, then they are ignored', () => {
    expect(assess(['made.up', 'age.over_60', 'ce.'], table)).toEqual(assess(['age.over_60'], table));
  });

  it('when the clinical vocabulary is listed, then every signal takes part in some rule', () => {
    const used = new Set(table.rules.flatMap((r) => [...(r.when.all ?? []), ...(r.when.any ?? [])]));
    expect(CLINICAL_SIGNALS.filter((s) => !used.has(s))).toEqual([]);
  });

  it('when any signal is added to any set, then the level never goes down', () => {
    const signal = fc.constantFrom(...CLINICAL_SIGNALS, 'unknown.signal');
    fc.assert(
      fc.property(fc.uniqueArray(signal, { maxLength: 8 }), signal, (base, extra) => {
        const before = levelOf(base);
        const after = levelOf([...base, extra]);
        expect(rank(after)).toBeLessThanOrEqual(rank(before));
      }),
      { numRuns: 2000, seed: 20261122 },
    );
  });
});

describe('assess', () => {
  const t: TriageTable = {
    version: 'test.1',
    rules: [
      { id: 'a-and-b', level: 'E', when: { all: ['a', 'b'] }, reason: 'reason.ab' },
      { id: 'a-or-c', level: 'U', when: { any: ['a', 'c'] }, reason: 'reason.ac' },
      { id: 'd-not-e', level: 'S', when: { all: ['d'], none: ['e'] }, reason: 'reason.d' },
      { id: 'c-too', level: 'U', when: { any: ['c'] }, reason: 'reason.ac' },
      { id: 'empty', level: 'E', when: {}, reason: 'reason.never' },
    ],
  };

  it('when all, any and none are combined, then a rule fires only when all of them hold', () => {
    expect(assess(['a'], t).ruleIds).toEqual(['a-or-c']);
    expect(assess(['a', 'b'], t).ruleIds).toEqual(['a-and-b']);
    expect(assess(['d'], t).ruleIds).toEqual(['d-not-e']);
    expect(assess(['d', 'e'], t).level).toBe('C');
  });

  it('when two top rules share a reason, then the reason is listed once', () => {
    expect(assess(['c'], t)).toEqual({
      level: 'U',
      ruleIds: ['a-or-c', 'c-too'],
      reasons: ['reason.ac'],
      version: 'test.1',
    });
  });

  it('when a rule has no conditions, then it never fires', () => {
    expect(assess(['x'], t).level).toBe('C');
  });

  it('when a level is E or U, then it is a red-flag level', () => {
    expect(LEVEL_ORDER.filter(isRedFlagLevel)).toEqual(['E', 'U']);
  });
});

describe('loadTriageTable', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'triage-rules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const header = 'format: 1\nversion: "2026-01-01.1"\nsignedOffBy: ""\nstatus: draft\n';

  it('when rules are wrong, then each problem names the rule', () => {
    const file = write(
      'bad.yaml',
      `${header}rules:
  - { id: ok, level: U, when: { any: [pain.night] }, reason: reason.x }
  - { id: ok, level: U, when: { any: [pain.night] }, reason: reason.x }
  - { id: unknown-signal, level: E, when: { any: [made.up] }, reason: reason.x }
  - { id: no-conditions, level: E, when: { none: [pain.night] }, reason: reason.x }
  - { id: contradiction, level: E, when: { all: [aaa], none: [aaa] }, reason: reason.x }
`,
    );
    const { table: t, problems } = loadTriageTable(file);
    expect(t?.rules).toHaveLength(5);
    expect(problems.map((p) => p.entry).sort()).toEqual([
      'contradiction',
      'no-conditions',
      'ok',
      'unknown-signal',
    ]);
    for (const p of problems) expect(p.file).toBe('bad.yaml');
  });

  it('when a field has the wrong shape, then the table is not usable and the rule is named', () => {
    const file = write(
      'schema.yaml',
      `${header}rules:\n  - { id: bad-level, level: X, when: { any: [aaa] }, reason: reason.x }\n`,
    );
    const { table: t, problems } = loadTriageTable(file);
    expect(t).toBeUndefined();
    expect(problems.map((p) => p.entry)).toContain('bad-level');
  });
});
