/**
 * Load and validate knowledge/: topic entries (Markdown with front matter), bot messages, the
 * clinic profile and the conversational intents. Every problem is collected before reporting, so
 * staff see all their mistakes at once, each with the file, the entry and the fix.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { Aspect } from '../../dialogs/types.js';
import {
  loadRedFlagNetFile,
  loadRedFlagTable,
  loadTriageTable,
  type LoadedTriageTable,
  type RedFlagNetFile,
  type RedFlagTable,
} from './clinical-tables.js';
import { fold } from '../text/fold.js';
import { languageFileSchema, type LanguageFile } from './language-file.js';
import { ContentError, type Problem } from './problems.js';
import { readingLevel } from './readability.js';
import { explainWrongKind, explainYamlError, parseWithLines } from './yaml-errors.js';
import {
  ASPECT_HEADINGS,
  type Clinic,
  clinicSchema,
  type ConversationalIntent,
  describeIssue,
  intentsFileSchema,
  messagesFileSchema,
  topicFrontMatterSchema,
  TOPIC_TYPES,
} from './schema.js';

export interface TopicEntry {
  id: string;
  type: (typeof TOPIC_TYPES)[number];
  title: string;
  /** Path relative to the knowledge folder. */
  file: string;
  examples: string[];
  keywords: string[];
  related: string[];
  sources: Array<Record<string, string>>;
  /** The short answer. */
  answer: string;
  sections: Partial<Record<Aspect, string>>;
}

export interface Knowledge {
  dir: string;
  clinic: Clinic;
  topics: ReadonlyMap<string, TopicEntry>;
  messages: ReadonlyMap<string, string>;
  intents: Record<ConversationalIntent, string[]>;
  outOfScope: string[];
  /** Short answers and follow-up cue words (language.yaml). */
  language: LanguageFile;
  /** The red-flag detector's rule table (red-flags.yaml). */
  redFlags: RedFlagTable;
  /** The versioned triage table (triage-rules.yaml). */
  triage: LoadedTriageTable;
  /** More wordings and settings for the learned red-flag net (red-flag-net.yaml); absent = no net. */
  redFlagNet?: RedFlagNetFile;
}

export interface ReadingReport {
  file: string;
  entry: string;
  part: string;
  grade: number;
}

export interface LoadOptions {
  /** Message keys the code and the dialogs use: each must be defined in knowledge/messages/. */
  requiredKeys?: readonly string[];
  /** Placeholder names (besides clinic.*) that the code fills at run time. */
  runtimeSlots?: readonly string[];
  /** Flesch-Kincaid grade above which a part is reported as a warning (reading age is about grade + 5). */
  readingGradeWarn?: number;
  /** Grade above which a part is an error. */
  readingGradeMax?: number;
}

export interface LoadResult {
  knowledge?: Knowledge;
  problems: Problem[];
  reading: ReadingReport[];
}

export const DEFAULT_READING_GRADE_WARN = 8;
export const DEFAULT_READING_GRADE_MAX = 11;

/** Placeholder fields a text may use as {clinic.<field>}. */
export const CLINIC_PLACEHOLDERS = [
  'name',
  'phone',
  'email',
  'website',
  'emergencyNumber',
  'urgentLine',
  'bookingUrl',
  'address',
  'parking',
  'hours',
  'languages',
  'cancellationNotice',
  'referralNote',
] as const;

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)([\s\S]*)$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;

export function loadKnowledge(dir: string, options: LoadOptions = {}): LoadResult {
  const problems: Problem[] = [];
  const reading: ReadingReport[] = [];
  const rel = (file: string) => path.relative(dir, file).split(path.sep).join('/');

  const clinic = loadClinic(dir, problems);
  const topics = loadTopics(dir, problems, rel);
  const messages = loadMessages(dir, problems, rel);
  const intentsFile = loadYamlFile(path.join(dir, 'intents.yaml'), 'intents.yaml', intentsFileSchema, problems);

  const language = loadYamlFile(path.join(dir, 'language.yaml'), 'language.yaml', languageFileSchema, problems);
  const redFlagResult = loadRedFlagTable(path.join(dir, 'red-flags.yaml'));
  problems.push(...redFlagResult.problems);
  const triageResult = loadTriageTable(path.join(dir, 'triage-rules.yaml'));
  problems.push(...triageResult.problems);
  const netResult = loadRedFlagNetFile(path.join(dir, 'red-flag-net.yaml'));
  problems.push(...netResult.problems);
  // Every triage rule's reason is a message patients read.
  for (const rule of triageResult.table?.rules ?? []) {
    if (!messages.texts.has(rule.reason)) {
      problems.push({
        file: 'triage-rules.yaml',
        entry: rule.id,
        message: `the rule's reason "${rule.reason}" is not defined in messages/`,
        fix: `add "${rule.reason}: <plain-words reason>" to messages/reasons.yaml`,
      });
    }
  }

  const intents = (intentsFile?.intents ?? {}) as Record<ConversationalIntent, { examples: string[] }>;
  const outOfScope = intentsFile?.out_of_scope.examples ?? [];

  // Related links point at real entries.
  for (const entry of topics.values()) {
    for (const target of entry.related) {
      if (!topics.has(target)) {
        problems.push({
          file: entry.file,
          entry: entry.id,
          message: `"related" names "${target}", which is not the id of any entry`,
          fix: `use one of the ids of the files in topics/, or remove "${target}" from related`,
        });
      }
      if (target === entry.id) {
        problems.push({
          file: entry.file,
          entry: entry.id,
          message: 'the entry lists itself under "related"',
          fix: `remove "${entry.id}" from related`,
        });
      }
    }
  }

  // An example question belongs to one entry (or one intent) only.
  const seen = new Map<string, string>();
  const claim = (example: string, owner: string, file: string, entry: string) => {
    const key = normaliseExample(example);
    const previous = seen.get(key);
    if (previous && previous !== owner) {
      problems.push({
        file,
        entry,
        message: `the example "${example}" is also listed under ${previous}`,
        fix: 'keep each example question under one entry only: delete it here or there',
      });
    } else {
      seen.set(key, owner);
    }
  };
  for (const entry of topics.values()) {
    for (const example of entry.examples) claim(example, `entry "${entry.id}"`, entry.file, entry.id);
  }
  for (const [name, value] of Object.entries(intents)) {
    for (const example of value.examples) claim(example, `intent "${name}"`, 'intents.yaml', name);
  }
  for (const example of outOfScope) claim(example, 'out_of_scope', 'intents.yaml', 'out_of_scope');

  // Placeholders must be known.
  const runtime = new Set(options.runtimeSlots ?? []);
  const checkPlaceholders = (textValue: string, file: string, entry: string) => {
    for (const match of textValue.matchAll(PLACEHOLDER)) {
      const name = (match[1] ?? '').trim();
      const known = name.startsWith('clinic.')
        ? (CLINIC_PLACEHOLDERS as readonly string[]).includes(name.slice('clinic.'.length))
        : runtime.has(name);
      if (!known) {
        problems.push({
          file,
          entry,
          message: `unknown placeholder {${name}}`,
          // Only the placeholders staff may use anywhere; the bot's own slots are not offered as a fix.
          fix: `use one of ${CLINIC_PLACEHOLDERS.map((p) => `{clinic.${p}}`).join(', ')}, or remove the {curly brackets}`,
        });
      }
    }
  };
  for (const entry of topics.values()) {
    checkPlaceholders(entry.answer, entry.file, entry.id);
    for (const body of Object.values(entry.sections)) checkPlaceholders(body ?? '', entry.file, entry.id);
  }
  for (const [key, value] of messages.texts) checkPlaceholders(value, messages.fileOf.get(key) ?? 'messages/', key);

  // Keys the code and the dialogs use must exist, and each qualifier of language.yaml has its reply.
  const qualifierKeys = Object.keys(language?.qualifiers ?? {}).map((q) => `kb.qualifier.${q}`);
  for (const key of [...(options.requiredKeys ?? []), ...qualifierKeys]) {
    if (!messages.texts.has(key)) {
      problems.push({
        file: 'messages/',
        entry: key,
        message: `the bot uses the message "${key}", but no file in messages/ defines it`,
        fix: `add a line "${key}: <text>" under "messages:" in one of the files in messages/`,
      });
    }
  }

  // Reading level, measured.
  const warnAt = options.readingGradeWarn ?? DEFAULT_READING_GRADE_WARN;
  const maxAt = options.readingGradeMax ?? DEFAULT_READING_GRADE_MAX;
  for (const entry of topics.values()) {
    const unavoidable = unavoidableWords(entry);
    const parts: Array<[string, string]> = [['answer', entry.answer], ...Object.entries(entry.sections).map(([k, v]): [string, string] => [k, v ?? ''])];
    for (const [part, body] of parts) {
      const { grade, words } = readingLevel(body, unavoidable);
      if (words < 12) continue; // too short to measure fairly
      reading.push({ file: entry.file, entry: entry.id, part, grade });
      if (grade > maxAt) {
        problems.push({
          file: entry.file,
          entry: entry.id,
          message: `the ${part === 'answer' ? 'short answer' : `"${part}" section`} reads at grade ${grade} (reading age about ${Math.round(grade + 5)}), above the limit of ${maxAt}`,
          fix: 'use shorter sentences and shorter, everyday words',
        });
      } else if (grade > warnAt) {
        problems.push({
          severity: 'warning',
          file: entry.file,
          entry: entry.id,
          message: `the ${part === 'answer' ? 'short answer' : `"${part}" section`} reads at grade ${grade} (target ${warnAt} or below, a reading age of about 12)`,
          fix: 'use shorter sentences and shorter, everyday words',
        });
      }
    }
  }

  const errors = problems.filter((p) => p.severity !== 'warning');
  const redFlags = redFlagResult.table;
  const triage = triageResult.table;
  if (errors.length > 0 || !clinic || !language || !redFlags || !triage) return { problems, reading };
  return {
    problems,
    reading,
    knowledge: {
      dir,
      clinic,
      topics,
      messages: messages.texts,
      intents: Object.fromEntries(Object.entries(intents).map(([k, v]) => [k, v.examples])) as Record<
        ConversationalIntent,
        string[]
      >,
      outOfScope,
      language,
      redFlags,
      triage,
      ...(netResult.net ? { redFlagNet: netResult.net } : {}),
    },
  };
}

/** Load, or throw a ContentError that lists every error (warnings do not stop the bot). */
export function loadKnowledgeOrThrow(dir: string, options: LoadOptions = {}): Knowledge {
  const result = loadKnowledge(dir, options);
  if (!result.knowledge) throw new ContentError(result.problems.filter((p) => p.severity !== 'warning'));
  return result.knowledge;
}

/** The one fold (src/text/fold.ts), every run of non-letters one space: "Don’t sit!" and "don't sit" are one example. */
export function normaliseExample(example: string): string {
  return fold(example)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Words an entry cannot avoid: the words of its title and keywords longer than 6 letters. */
function unavoidableWords(entry: TopicEntry): Set<string> {
  const out = new Set<string>();
  for (const phrase of [entry.title, ...entry.keywords]) {
    for (const w of phrase.toLowerCase().match(/[a-z]+/g) ?? []) if (w.length > 6) out.add(w);
  }
  return out;
}

function readText(file: string, shown: string, problems: Problem[]): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    problems.push({ file: shown, message: 'the file is missing or cannot be read', fix: `create ${shown} (see knowledge/README.md)` });
    return undefined;
  }
}

function parseYamlText(raw: string, file: string, problems: Problem[]): unknown {
  try {
    return parseYaml(raw, { prettyErrors: true });
  } catch (error) {
    const explained = explainYamlError(error, raw);
    problems.push({ file, message: explained.message, fix: explained.fix });
    return undefined;
  }
}

function loadYamlFile<S extends z.ZodType>(
  file: string,
  shown: string,
  schema: S,
  problems: Problem[],
): z.infer<S> | undefined {
  const raw = readText(file, shown, problems);
  if (raw === undefined) return undefined;
  let parsedYaml: ReturnType<typeof parseWithLines>;
  try {
    parsedYaml = parseWithLines(raw);
  } catch (error) {
    const explained = explainYamlError(error, raw);
    problems.push({ file: shown, message: explained.message, fix: explained.fix });
    return undefined;
  }
  const { data, lineOf } = parsedYaml;
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const line = lineOf(issue.path);
      const at = line ? ` (line ${line})` : '';
      const field = issue.path.map(String).join('.');
      const value = valueAt(data, issue.path);
      const wrongKind = issue.code === 'invalid_type' && value !== undefined ? explainWrongKind(field, value) : undefined;
      problems.push({
        file: shown,
        entry: issue.path.length > 1 ? String(issue.path[1]) : undefined,
        message: `${wrongKind?.message ?? describeIssue(issue, value === undefined)}${at}`,
        fix:
          wrongKind?.fix ??
          (issue.code === 'invalid_type' && value === undefined
            ? `add a line "${field}: <value>" (see knowledge/README.md for the format)`
            : fixFor(issue.path.map(String))),
      });
    }
    return undefined;
  }
  return parsed.data;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function loadClinic(dir: string, problems: Problem[]): Clinic | undefined {
  return loadYamlFile(path.join(dir, 'clinic.yaml'), 'clinic.yaml', clinicSchema, problems);
}

function listFiles(dir: string, ext: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(full, ext));
    else if (name.endsWith(ext) && name !== 'README.md') out.push(full);
  }
  return out;
}

function loadTopics(dir: string, problems: Problem[], rel: (f: string) => string): Map<string, TopicEntry> {
  const topics = new Map<string, TopicEntry>();
  const files = listFiles(path.join(dir, 'topics'), '.md');
  if (files.length === 0) {
    problems.push({ file: 'topics/', message: 'there are no topic entries', fix: 'add at least one .md file under topics/' });
  }
  for (const file of files) {
    const shown = rel(file);
    const raw = readText(file, shown, problems);
    if (raw === undefined) continue;
    const match = FRONT_MATTER.exec(raw);
    if (!match) {
      problems.push({
        file: shown,
        message: 'the file does not start with front matter between two "---" lines',
        fix: 'copy the top of another entry: a "---" line, the fields, a "---" line, then the answer',
      });
      continue;
    }
    const data = parseYamlText(match[1] ?? '', shown, problems);
    if (data === undefined) continue;
    const parsed = topicFrontMatterSchema.safeParse(data);
    const idGuess = typeof (data as { id?: unknown })?.id === 'string' ? String((data as { id: string }).id) : undefined;
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const value = valueAt(data, issue.path);
        const wrongKind =
          issue.code === 'invalid_type' && value !== undefined
            ? explainWrongKind(issue.path.map(String).join('.'), value)
            : undefined;
        problems.push({
          file: shown,
          entry: idGuess,
          message: wrongKind?.message ?? describeIssue(issue, value === undefined),
          fix: wrongKind?.fix ?? fixFor(issue.path.map(String)),
        });
      }
      continue;
    }
    const fm = parsed.data;
    const base = path.basename(file, '.md');
    if (base !== fm.id) {
      problems.push({
        file: shown,
        entry: fm.id,
        message: `the id "${fm.id}" differs from the file name "${base}.md"`,
        fix: `rename the file to ${fm.id}.md or change the id to ${base}`,
      });
    }
    const body = parseBody(match[2] ?? '', shown, fm.id, problems);
    if (!body) continue;
    if (topics.has(fm.id)) {
      problems.push({
        file: shown,
        entry: fm.id,
        message: `the id "${fm.id}" is already used by ${topics.get(fm.id)?.file}`,
        fix: 'give each entry its own id (and file name)',
      });
      continue;
    }
    topics.set(fm.id, {
      id: fm.id,
      type: fm.type,
      title: fm.title,
      file: shown,
      examples: fm.examples,
      keywords: fm.keywords,
      related: fm.related,
      sources: fm.sources as Array<Record<string, string>>,
      answer: body.answer,
      sections: body.sections,
    });
  }
  return topics;
}

function parseBody(
  body: string,
  file: string,
  entry: string,
  problems: Problem[],
): { answer: string; sections: Partial<Record<Aspect, string>> } | undefined {
  const parts = body.split(/^##[ \t]+(.+?)[ \t]*$/m);
  const answer = (parts[0] ?? '').trim();
  let ok = true;
  if (!answer) {
    problems.push({
      file,
      entry,
      message: 'the short answer is missing',
      fix: 'write 2 to 4 sentences right after the closing "---" line, before any "## " heading',
    });
    ok = false;
  } else {
    const sentences = (answer.match(/[.!?]+(\s|$)/g) ?? []).length;
    if (sentences > 5) {
      problems.push({
        severity: 'warning',
        file,
        entry,
        message: `the short answer has ${sentences} sentences (aim for 2 to 4)`,
        fix: 'move the extra detail into a "## More" section',
      });
    }
  }
  const sections: Partial<Record<Aspect, string>> = {};
  for (let i = 1; i < parts.length; i += 2) {
    const heading = (parts[i] ?? '').trim();
    const content = (parts[i + 1] ?? '').trim();
    const aspect = (ASPECT_HEADINGS as Record<string, Aspect>)[heading];
    if (!aspect) {
      problems.push({
        file,
        entry,
        message: `unknown section heading "## ${heading}"`,
        fix: `use one of: ${Object.keys(ASPECT_HEADINGS)
          .map((h) => `## ${h}`)
          .join(', ')}`,
      });
      ok = false;
      continue;
    }
    if (!content) {
      problems.push({ file, entry, message: `the section "## ${heading}" is empty`, fix: 'write the section, or delete its heading' });
      ok = false;
      continue;
    }
    if (sections[aspect]) {
      problems.push({ file, entry, message: `the section "## ${heading}" appears twice`, fix: 'merge the two sections into one' });
      ok = false;
      continue;
    }
    sections[aspect] = content;
  }
  return ok ? { answer, sections } : undefined;
}

function loadMessages(
  dir: string,
  problems: Problem[],
  rel: (f: string) => string,
): { texts: Map<string, string>; fileOf: Map<string, string> } {
  const texts = new Map<string, string>();
  const fileOf = new Map<string, string>();
  const files = listFiles(path.join(dir, 'messages'), '.yaml');
  if (files.length === 0) {
    problems.push({ file: 'messages/', message: 'there are no message files', fix: 'add the .yaml files of messages/ back' });
  }
  for (const file of files) {
    const shown = rel(file);
    const data = loadYamlFile(file, shown, messagesFileSchema, problems);
    if (!data) continue;
    for (const [key, value] of Object.entries(data.messages)) {
      const previous = fileOf.get(key);
      if (previous) {
        problems.push({
          file: shown,
          entry: key,
          message: `the message "${key}" is also defined in ${previous}`,
          fix: 'keep one definition of each message key',
        });
        continue;
      }
      texts.set(key, value.trim());
      fileOf.set(key, shown);
    }
  }
  return { texts, fileOf };
}

function fixFor(pathParts: string[]): string {
  const field = pathParts[0];
  switch (field) {
    case 'examples':
      return 'list at least 8 example questions, one per line starting with "- "';
    case 'sources':
      return 'list each source on its own line, e.g. "- seed: 000_7a99c1fd3d78d782.txt" or "- guideline: clinical.md"';
    case 'format':
      return 'put "format: 1" at the top of the file';
    case 'id':
      return 'use lower-case words joined by hyphens, the same as the file name';
    case undefined:
      return 'compare the file with a working one of the same kind (see knowledge/README.md)';
    default:
      return `correct the "${pathParts.join('.')}" field (see knowledge/README.md for the format)`;
  }
}
