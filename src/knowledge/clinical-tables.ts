/**
 * The clinical tables of knowledge/: their YAML schemas, loaders and checks.
 * - red-flags.yaml: wording -> clinical signals (the detector is src/nlu/red-flags.ts);
 * - triage-rules.yaml: signals -> level (evaluated by dialogs/triage-rules.ts);
 * - red-flag-net.yaml: more wordings and settings for the learned net (src/nlu/red-flag-net.ts).
 * Loading reads and validates only; every problem names the file, the entry and the fix. The
 * patterns of the red-flag table are checked with the pattern language of src/text/patterns.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isClinicalSignal, type TriageTable } from '../../dialogs/triage-rules.js';
import { PatternCompiler, PatternError } from '../text/patterns.js';
import type { Problem } from './problems.js';

// ---------------------------------------------------------------------------------------------
// Table schema

/** Phrases; a bare number in the YAML ("12") is read as the phrase "12". */
const phraseList = z.array(z.union([z.string().min(1), z.number()]).transform((v) => String(v)));

const ruleSchema = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'rule ids are kebab-case: lower-case words joined by "-"'),
  signal: z.string().min(1),
  patterns: phraseList.min(1),
  not_when_part_of: phraseList.optional(),
  someone_else: z.enum(['ignore', 'counts', 'reported']).optional(),
  long_ago: z.enum(['ignore', 'counts']).optional(),
  not_with: phraseList.optional(),
  only_with: phraseList.optional(),
  note: z.string().optional(),
  fires: phraseList,
  does_not_fire: phraseList,
});

const settingsSchema = z.object({
  negation_window: z.number().int().min(1).max(20),
  after_window: z.number().int().min(0).max(20),
  gap_words: z.number().int().min(1).max(10),
  typo_min_length: z.number().int().min(3).max(20),
  min_examples: z.number().int().min(1).max(50),
});

const languageSchema = z.object({
  negation_before: phraseList,
  negation_after: phraseList,
  not_negation: phraseList,
  clause_breaks: phraseList,
  list_joiners: phraseList,
  someone_else: phraseList,
  self: phraseList,
  /** Words that open a question ("what", "can", "is"); with no `self` word, the sentence reports nothing. */
  question_words: phraseList.optional(),
  /** Distant past or resolved ("years ago", "as a kid", "cleared up"), for rules with `long_ago: ignore`. */
  long_ago: phraseList.optional(),
  /** Recent or now ("yesterday", "last week"): a sentence with one of these is never "long ago". */
  recent: phraseList.optional(),
  /** A sign asked about as a possibility ("what should I do if", "in case", "if I ever"): not a report. */
  hypothetical: phraseList.optional(),
  /** Back to the present ("and now", "since then"): a long-ago phrase before one of these does not reach past it. */
  now: phraseList.optional(),
  known_words: z.array(z.string()),
  /** Others whose signs are not reported for them by `someone_else: reported` ("the baby", "my dog"). */
  not_reported: phraseList.optional(),
  /** The writer's own complaint ("my back is sore"): then a `reported` sign of someone else does not count. */
  own_complaint: phraseList.optional(),
  /** Text-speak and common misspellings, one word for one word ("wen": "when", "n": "and"). */
  spellings: z.record(z.string().regex(/^[a-z0-9]+$/), z.string().regex(/^[a-z0-9]+$/)).optional(),
});

export const redFlagTableSchema = z.object({
  format: z.literal(1),
  settings: settingsSchema,
  language: languageSchema,
  vocab: z.record(z.string().regex(/^[a-z0-9_]+$/), phraseList.min(1)),
  rules: z.array(ruleSchema).min(1),
});

export type RedFlagTable = z.infer<typeof redFlagTableSchema>;
export type RedFlagRule = RedFlagTable['rules'][number];

// ---------------------------------------------------------------------------------------------
// Loading and checking

/** Path relative to the knowledge folder when the file lives in one, else the file name. */
function knowledgePath(filePath: string): string {
  const parts = path.resolve(filePath).split(path.sep);
  const k = parts.lastIndexOf('knowledge');
  return k >= 0 ? parts.slice(k + 1).join('/') : path.basename(filePath);
}

function readYaml(filePath: string, file: string, problems: Problem[]): unknown {
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch {
    problems.push({ file, message: 'The file cannot be read.', fix: 'Check that the file exists.' });
    return undefined;
  }
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    const where = err instanceof Error ? err.message.split('\n')[0] : '';
    problems.push({
      file,
      message: `The file is not valid YAML (${where}).`,
      fix: 'Check the indentation and quotes near the line named.',
    });
    return undefined;
  }
}

function schemaProblems(error: z.ZodError, file: string, data: unknown): Problem[] {
  const rules = (data as { rules?: unknown[] } | undefined)?.rules;
  return error.issues.map((issue) => {
    const [first, index] = issue.path;
    let entry: string | undefined;
    if (first === 'rules' && typeof index === 'number' && Array.isArray(rules)) {
      const id = (rules[index] as { id?: unknown } | undefined)?.id;
      entry = typeof id === 'string' ? id : `rule ${index + 1}`;
    }
    const at = issue.path.join('.');
    return {
      file,
      ...(entry !== undefined ? { entry } : {}),
      message: `${at ? `${at}: ` : ''}${issue.message}`,
      fix: 'Correct this field: see the explanation at the top of the file.',
    };
  });
}

function duplicateIds(ids: readonly string[], file: string): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const id of ids) {
    if (seen.has(id)) {
      out.push({
        file,
        entry: id,
        message: 'This rule id is used twice.',
        fix: 'Give each rule its own id.',
      });
    }
    seen.add(id);
  }
  return out;
}

/** Problems with a schema-valid red-flag table: signals, ids, example counts, patterns. */
export function checkRedFlagTable(table: RedFlagTable, file = 'red-flags.yaml'): Problem[] {
  const problems: Problem[] = duplicateIds(
    table.rules.map((r) => r.id),
    file,
  );
  const compiler = new PatternCompiler(table.vocab, table.settings.gap_words);
  const tryCompile = (entry: string | undefined, phrases: readonly string[]): void => {
    for (const phrase of phrases) {
      try {
        const src = compiler.compile(phrase);
        if (new RegExp(`^(?:${src})$`).test(''))
          throw new PatternError(`"${phrase}" can match nothing at all`);
      } catch (err) {
        if (!(err instanceof PatternError)) throw err;
        problems.push({
          file,
          ...(entry !== undefined ? { entry } : {}),
          message: `A pattern cannot be read: ${err.message}.`,
          fix: 'Use words, {vocabulary} names defined under vocab, [optional words], (one|other) and "...".',
        });
      }
    }
  };
  for (const [name, phrases] of Object.entries(table.vocab)) tryCompile(`vocab ${name}`, phrases);
  for (const [name, phrases] of Object.entries(table.language)) {
    if (Array.isArray(phrases) && name !== 'known_words') tryCompile(`language ${name}`, phrases);
  }
  for (const rule of table.rules) {
    if (!isClinicalSignal(rule.signal)) {
      problems.push({
        file,
        entry: rule.id,
        message: `"${rule.signal}" is not a known clinical signal.`,
        fix: 'Use one of the signals listed in docs/design.md ("Clinical signals").',
      });
    }
    const min = table.settings.min_examples;
    if (rule.fires.length < min || rule.does_not_fire.length < min) {
      problems.push({
        file,
        entry: rule.id,
        message: `The rule needs at least ${min} "fires" and ${min} "does_not_fire" examples.`,
        fix: 'Add examples written the way patients type, and near-misses that must not fire.',
      });
    }
    tryCompile(rule.id, rule.patterns);
    tryCompile(rule.id, rule.not_when_part_of ?? []);
    tryCompile(rule.id, rule.not_with ?? []);
    tryCompile(rule.id, rule.only_with ?? []);
  }
  return problems;
}

/** Reads knowledge/red-flags.yaml. `table` is undefined when the file cannot be used at all. */
export function loadRedFlagTable(filePath: string): { table: RedFlagTable | undefined; problems: Problem[] } {
  const file = knowledgePath(filePath);
  const problems: Problem[] = [];
  const data = readYaml(filePath, file, problems);
  if (data === undefined) return { table: undefined, problems };
  const parsed = redFlagTableSchema.safeParse(data);
  if (!parsed.success) return { table: undefined, problems: schemaProblems(parsed.error, file, data) };
  problems.push(...checkRedFlagTable(parsed.data, file));
  return { table: parsed.data, problems };
}

// ---------------------------------------------------------------------------------------------
// Triage table loading (the evaluation itself is pure, in dialogs/triage-rules.ts)

const signalList = z.array(z.string().min(1));

export const triageTableSchema = z.object({
  format: z.literal(1),
  version: z.string().regex(/^\d{4}-\d{2}-\d{2}\.\d+$/, 'the version looks like "2026-11-22.1"'),
  signedOffBy: z.string(),
  status: z.string().min(1),
  rules: z
    .array(
      z.object({
        id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'rule ids are kebab-case'),
        level: z.enum(['E', 'U', 'S', 'C']),
        when: z
          .object({ all: signalList.optional(), any: signalList.optional(), none: signalList.optional() })
          .strict(),
        reason: z.string().regex(/^reason\.[a-z0-9_]+$/, 'reason keys look like "reason.ce_bladder"'),
        source: z.string().min(1).optional(),
      }),
    )
    .min(1),
});

export interface LoadedTriageTable extends TriageTable {
  signedOffBy: string;
  status: string;
}

/** Problems with a schema-valid triage table: duplicate ids, unknown signals, rules that never fire. */
export function checkTriageTable(table: TriageTable, file = 'triage-rules.yaml'): Problem[] {
  const problems = duplicateIds(
    table.rules.map((r) => r.id),
    file,
  );
  for (const rule of table.rules) {
    const { all = [], any = [], none = [] } = rule.when;
    for (const signal of [...all, ...any, ...none]) {
      if (!isClinicalSignal(signal)) {
        problems.push({
          file,
          entry: rule.id,
          message: `"${signal}" is not a known clinical signal.`,
          fix: 'Use one of the signals listed in docs/design.md ("Clinical signals").',
        });
      }
    }
    if (all.length === 0 && any.length === 0) {
      problems.push({
        file,
        entry: rule.id,
        message: 'The rule has no "all" or "any" signals, so it can never fire.',
        fix: 'List the signals that make this rule fire under when.all or when.any.',
      });
    }
    const contradiction = [...all, ...any].filter((s) => none.includes(s));
    if (
      contradiction.length > 0 &&
      (all.some((s) => none.includes(s)) || any.every((s) => none.includes(s)))
    ) {
      problems.push({
        file,
        entry: rule.id,
        message: `A signal is both required and excluded (${contradiction.join(', ')}), so the rule can never fire.`,
        fix: 'Remove the signal from when.none or from when.all / when.any.',
      });
    }
  }
  return problems;
}

/** Reads knowledge/triage-rules.yaml. `table` is undefined when the file cannot be used at all. */
export function loadTriageTable(filePath: string): {
  table: LoadedTriageTable | undefined;
  problems: Problem[];
} {
  const file = knowledgePath(filePath);
  const problems: Problem[] = [];
  const data = readYaml(filePath, file, problems);
  if (data === undefined) return { table: undefined, problems };
  const parsed = triageTableSchema.safeParse(data);
  if (!parsed.success) return { table: undefined, problems: schemaProblems(parsed.error, file, data) };
  const { version, signedOffBy, status, rules } = parsed.data;
  const table: LoadedTriageTable = {
    version,
    signedOffBy,
    status,
    rules: rules.map((r) => ({
      id: r.id,
      level: r.level,
      when: {
        ...(r.when.all ? { all: r.when.all } : {}),
        ...(r.when.any ? { any: r.when.any } : {}),
        ...(r.when.none ? { none: r.when.none } : {}),
      },
      reason: r.reason,
      ...(r.source !== undefined ? { source: r.source } : {}),
    })),
  };
  problems.push(...checkTriageTable(table, file));
  return { table, problems };
}

// ---------------------------------------------------------------------------------------------
// The red-flag net's file

export const redFlagNetFileSchema = z.object({
  format: z.literal(1),
  settings: z.object({
    threshold: z.number().gt(0).lt(1),
    min_words: z.number().int().min(1).max(20),
    denials: z.array(z.string().regex(/^[a-z]+$/)),
    symptom_words: z.array(z.string().regex(/^[a-z]+$/)),
    reassurance: z.array(z.string().regex(/^[a-z]+$/)),
    not_when: z.array(z.string().regex(/^[a-z]+( [a-z]+)*$/)),
    acts_on: z.array(z.string().min(1)).min(1),
  }),
  wordings: z.record(z.string(), z.array(z.string().min(1))),
  none: z.array(z.string().min(1)),
});

export type RedFlagNetFile = z.infer<typeof redFlagNetFileSchema>;

/** Reads knowledge/red-flag-net.yaml; an absent file means no net (not a problem). */
export function loadRedFlagNetFile(
  filePath: string,
  file = 'red-flag-net.yaml',
): { net: RedFlagNetFile | undefined; problems: Problem[] } {
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch {
    return { net: undefined, problems: [] };
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    const where = err instanceof Error ? err.message.split('\n')[0] : '';
    return {
      net: undefined,
      problems: [
        {
          file,
          message: `The file is not valid YAML (${where}).`,
          fix: 'Check the indentation and quotes near the line named.',
        },
      ],
    };
  }
  const parsed = redFlagNetFileSchema.safeParse(data);
  if (!parsed.success) {
    return {
      net: undefined,
      problems: parsed.error.issues.map((issue) => ({
        file,
        message: `${issue.path.join('.')}: ${issue.message}`,
        fix: 'Correct this field: see the explanation at the top of the file.',
      })),
    };
  }
  const problems: Problem[] = [];
  for (const signal of [...Object.keys(parsed.data.wordings), ...parsed.data.settings.acts_on]) {
    if (!isClinicalSignal(signal)) {
      problems.push({
        file,
        entry: signal,
        message: `"${signal}" is not a known clinical signal.`,
        fix: 'Use one of the signals listed in docs/design.md ("Clinical signals").',
      });
    }
  }
  return { net: parsed.data, problems };
}
