/**
 * Triage rule evaluation: clinical signals -> disposition level, from one versioned table
 * (knowledge/triage-rules.yaml) that a clinician signs off. Pure: no I/O, no wording.
 */
import { LEVEL_ORDER, type Level } from './types.js';

export interface TriageRule {
  id: string;
  level: Level;
  when: { all?: string[]; any?: string[]; none?: string[] };
  reason: string;
  source?: string;
}

export interface TriageTable {
  version: string;
  rules: TriageRule[];
}

export interface Assessment {
  level: Level;
  ruleIds: string[];
  reasons: string[];
  version: string;
}

/** The clinical signal vocabulary of docs/design.md: facts about the patient, not levels. */
export const CLINICAL_SIGNALS = [
  'ce.saddle_numbness',
  'ce.bladder',
  'ce.bowel',
  'ce.sexual',
  'ce.bilateral_sciatica',
  'ce.bilateral_weakness',
  'trauma.major',
  'chest_pain',
  'aaa',
  'history.cancer',
  'neuro.weakness_one_leg',
  'neuro.foot_drop',
  'neuro.numbness',
  'neuro.walking',
  'systemic.fever',
  'infection.risk',
  'weight_loss',
  'back.lump',
  'pain.night',
  'pain.cough',
  'pain.thoracic',
  'fracture.risk',
  'pain.unbearable',
  'inflammatory',
  'sciatica.not_improving',
  'age.over_60',
  'age.under_20',
  'onset.over_50',
  'duration.over_6_weeks',
  'pregnancy',
  'calf_swelling',
  'child',
] as const;

export type ClinicalSignal = (typeof CLINICAL_SIGNALS)[number];

const KNOWN_SIGNALS: ReadonlySet<string> = new Set(CLINICAL_SIGNALS);

export function isClinicalSignal(signal: string): signal is ClinicalSignal {
  return KNOWN_SIGNALS.has(signal);
}

/** Smaller is more urgent: E=0 ... C=3. */
function rank(level: Level): number {
  return LEVEL_ORDER.indexOf(level);
}

/** The more urgent of two levels. */
export function higherLevel(a: Level, b: Level): Level {
  return rank(a) <= rank(b) ? a : b;
}

/** Whether one rule fires on a set of signals: every `all`, at least one `any` (when listed), no `none`. */
export function ruleFires(rule: TriageRule, signals: ReadonlySet<string>): boolean {
  const { all = [], any = [], none = [] } = rule.when;
  if (all.length === 0 && any.length === 0) return false;
  if (!all.every((s) => signals.has(s))) return false;
  if (any.length > 0 && !any.some((s) => signals.has(s))) return false;
  return !none.some((s) => signals.has(s));
}

/** The highest level any rule reaches on these signals; level 'C' with no rule ids when none fires. ruleIds/reasons list every rule at that top level. */
export function assess(signals: Iterable<string>, table: TriageTable): Assessment {
  const present = new Set(signals);
  let level: Level = 'C';
  let top: TriageRule[] = [];
  for (const rule of table.rules) {
    if (!ruleFires(rule, present)) continue;
    if (top.length === 0 || rank(rule.level) < rank(level)) {
      level = rule.level;
      top = [rule];
    } else if (rule.level === level) {
      top.push(rule);
    }
  }
  const reasons: string[] = [];
  for (const rule of top) if (!reasons.includes(rule.reason)) reasons.push(rule.reason);
  return { level, ruleIds: top.map((r) => r.id), reasons, version: table.version };
}

/** Red-flag levels escalate at once, whatever the conversation is doing: E and U. */
export function isRedFlagLevel(level: Level): boolean {
  return level === 'E' || level === 'U';
}

/**
 * Red-flag rules that fire once `current` signals join `previous` ones and did not fire before:
 * E or U only. The dialog machine applies the table here, once per message.
 */
export function redFlagHits(
  previous: readonly string[],
  current: readonly string[],
  table: TriageTable,
): Array<{ ruleId: string; level: Level }> {
  if (current.length === 0) return [];
  const before = assess(previous, table);
  const after = assess([...previous, ...current], table);
  if (!isRedFlagLevel(after.level)) return [];
  const beforeIds = new Set(before.level === after.level ? before.ruleIds : []);
  return after.ruleIds.filter((id) => !beforeIds.has(id)).map((ruleId) => ({ ruleId, level: after.level }));
}
