/**
 * Red-flag detector: free text -> clinical signals, from the rule table in knowledge/red-flags.yaml.
 *
 * How a message is read (the pattern language itself is described in the YAML's header):
 * 1. Tokenise: lower-case words without apostrophes ("can't" -> "cant"); sentence punctuation
 *    becomes a clause boundary token "|". Each token keeps its character span in the original text.
 * 2. Typos: a word of 5+ letters that is neither in the table's own words nor a known English word
 *    is replaced by the table word at edit distance 1 (natural's Damerau-Levenshtein), if any.
 * 3. Every rule's patterns, precompiled into one regular expression over the token string, are
 *    searched, each only at the tokens that one of its patterns can start with (an index built
 *    from the patterns, so a long table stays fast). A match is dropped when
 *    - it is part of one of the rule's `not_when_part_of` phrases ("hay fever");
 *    - it is negated: a negation word stands before it in the same clause (within
 *      `negation_window` words, not back across a list joiner such as "and") or inside its `...`
 *      gaps, or a "that is fine" phrase follows it (within `after_window` words), and the matched
 *      words are not themselves negative. A negated negative ("I don't have no feeling down there")
 *      stays positive: unclear answers move triage up, never down;
 *    - the clause is about someone else ("my mum had cancer"), unless the rule says
 *      `someone_else: counts`, or `someone_else: reported` and the message reports that person's
 *      sign ("my husband can't empty his bladder"): the person is not a baby or a pet
 *      (`language.not_reported`) and the writer tells no complaint of their own
 *      (`language.own_complaint`: "my grandad ... and my back is sore from lifting him");
 *    - the rule says `long_ago: ignore` and the sentence places it in the distant past or says it
 *      has resolved ("when I was a kid", "years ago", "it cleared up"), and says nothing recent
 *      ("yesterday", "last week"), and does not come back to now between the two ("had cancer
 *      years ago and now my legs are weak");
 *    - a possibility is asked about before it in the sentence ("what should I do if", "in case",
 *      "if I ever": `language.hypothetical`);
 *    - one of the rule's `not_with` wordings (an explanation that makes it harmless: "on a diet")
 *      is in the same sentence and is not itself negated ("I'm not dieting" keeps the match);
 *    - the rule has `only_with` wordings and none of them is anywhere in the message (not negated,
 *      about the person): "I had a little fall" counts for fracture risk only with "I'm 82".
 *    A sentence ends at ".", "!", "?", ";" or a new line; a clause also ends at a comma or a break
 *    word ("but", "when").
 *
 * Pure and deterministic once compiled; loading (file I/O, YAML, zod) is kept in the two load*
 * functions at the end.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isClinicalSignal, type TriageTable } from '../../dialogs/triage-rules.js';
import type { Problem } from '../knowledge/problems.js';

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

const tableSchema = z.object({
  format: z.literal(1),
  settings: settingsSchema,
  language: languageSchema,
  vocab: z.record(z.string().regex(/^[a-z0-9_]+$/), phraseList.min(1)),
  rules: z.array(ruleSchema).min(1),
});

export type RedFlagTable = z.infer<typeof tableSchema>;
export type RedFlagRule = RedFlagTable['rules'][number];

export interface RedFlagMatch {
  ruleId: string;
  signal: string;
  /** Character offsets [start, end) in the text given to detect(). */
  span: [number, number];
  /** The sign is reported for someone else ("my husband can't empty his bladder"). */
  someoneElse?: true;
}

export interface RedFlagDetection {
  /** Distinct signals, in order of first appearance in the text. */
  signals: string[];
  matches: RedFlagMatch[];
}

export interface RedFlagDetector {
  detect(text: string): RedFlagDetection;
}

// ---------------------------------------------------------------------------------------------
// Pattern language -> regular expressions over the token string " tok tok | tok"

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

type PatternNode =
  | { kind: 'word'; text: string; prefix: boolean }
  | { kind: 'slot'; name: string }
  | { kind: 'gap' }
  | { kind: 'choice'; options: PatternNode[][]; optional: boolean };

/** Lower-case, unify and drop apostrophes, hyphens to spaces: the same folding as the text. */
function foldPhrase(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/['\u2018\u2019\u201b\u02bc\u0060\u00b4]/g, '')
    .replace(/[-\u2010-\u2014]/g, ' ')
    .replace(/\u2026/g, '...');
}

function parsePattern(source: string): PatternNode[] {
  const s = foldPhrase(source);
  let i = 0;

  const parseSequence = (closers: string): { seq: PatternNode[]; end: string } => {
    const seq: PatternNode[] = [];
    while (i < s.length) {
      const c = s.charAt(i);
      if (/\s/.test(c)) {
        i++;
      } else if (closers.includes(c)) {
        i++;
        return { seq, end: c };
      } else if (c === '{') {
        const close = s.indexOf('}', i);
        if (close < 0) throw new PatternError(`"{" without a closing "}" in "${source}"`);
        const name = s.slice(i + 1, close).trim();
        if (!/^[a-z0-9_]+$/.test(name)) throw new PatternError(`"{${name}}" is not a vocabulary name`);
        seq.push({ kind: 'slot', name });
        i = close + 1;
      } else if (c === '[' || c === '(') {
        const closer = c === '[' ? ']' : ')';
        i++;
        const options: PatternNode[][] = [];
        for (;;) {
          const { seq: option, end } = parseSequence(`|${closer}`);
          if (option.length === 0)
            throw new PatternError(`an empty choice inside ${c}...${closer} in "${source}"`);
          options.push(option);
          if (end === closer) break;
          if (end !== '|') throw new PatternError(`"${c}" without a closing "${closer}" in "${source}"`);
        }
        seq.push({ kind: 'choice', options, optional: c === '[' });
      } else if (s.startsWith('...', i)) {
        seq.push({ kind: 'gap' });
        i += 3;
      } else if (/[a-z0-9]/.test(c)) {
        let j = i;
        while (j < s.length && /[a-z0-9.]/.test(s.charAt(j)) && !s.startsWith('...', j)) j++;
        const text = s.slice(i, j).replace(/\.+$/, '');
        j = i + text.length;
        let prefix = false;
        if (s.charAt(j) === '*') {
          prefix = true;
          j++;
        }
        seq.push({ kind: 'word', text, prefix });
        i = j;
      } else {
        throw new PatternError(`unexpected "${c}" in "${source}"`);
      }
    }
    if (closers !== '') throw new PatternError(`a bracket is not closed in "${source}"`);
    return { seq, end: '' };
  };

  const { seq } = parseSequence('');
  if (seq.length === 0) throw new PatternError('an empty pattern');
  if (seq[0]?.kind === 'gap' || seq[seq.length - 1]?.kind === 'gap') {
    throw new PatternError(`"..." must stand between words, not at the start or end, in "${source}"`);
  }
  return seq;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

class PatternCompiler {
  private readonly parsedVocab = new Map<string, PatternNode[][]>();
  private readonly firstVocab = new Map<string, { first: FirstWords; empty: boolean }>();
  private readonly compiledVocab = new Map<string, string>();
  private readonly stack: string[] = [];
  /** Regex source of the clause-break phrases: a "..." gap never runs across one. */
  gapGuard = '';
  /** Every literal word the table uses: the targets of typo correction. */
  readonly words = new Set<string>();

  constructor(
    private readonly vocab: Readonly<Record<string, readonly string[]>>,
    private readonly gapWords: number,
  ) {}

  /** One phrase -> regex source; every unit starts with a space, so matches start on a token. */
  compile(source: string): string {
    return this.sequence(parsePattern(source));
  }

  /** Several phrases -> one alternation, longest first so the longest wording wins. */
  compileAll(sources: readonly string[]): string {
    return alternation(sources.map((p) => this.compile(p)));
  }

  /** Several phrases -> a matcher that is tried only at the tokens a phrase can start with. */
  matcher(sources: readonly string[]): Matcher {
    const re = new RegExp(`${this.compileAll(sources)}(?= |$)`, 'dy');
    const first: FirstWords = { words: new Set(), prefixes: new Set(), any: false };
    for (const source of sources) if (this.firstOfSequence(parsePattern(source), first)) first.any = true;
    return { re, first, prefixes: [...first.prefixes] };
  }

  /** Adds the words `seq` can start with to `first`; true when `seq` can match no words at all. */
  private firstOfSequence(seq: readonly PatternNode[], first: FirstWords): boolean {
    for (const n of seq) if (!this.firstOfNode(n, first)) return false;
    return true;
  }

  private firstOfNode(n: PatternNode, first: FirstWords): boolean {
    switch (n.kind) {
      case 'word':
        if (n.prefix) first.prefixes.add(n.text);
        else first.words.add(n.text);
        return false;
      case 'gap':
        first.any = true; // a gap can start anywhere
        return true;
      case 'choice': {
        let empty = n.optional;
        for (const option of n.options) if (this.firstOfSequence(option, first)) empty = true;
        return empty;
      }
      case 'slot': {
        let done = this.firstVocab.get(n.name);
        if (done === undefined) {
          const own: FirstWords = { words: new Set(), prefixes: new Set(), any: false };
          let empty = false;
          this.firstVocab.set(n.name, { first: own, empty: true }); // a guard: vocab never refers to itself
          for (const phrase of this.vocab[n.name] ?? [])
            if (this.firstOfSequence(parsePattern(phrase), own)) empty = true;
          done = { first: own, empty };
          this.firstVocab.set(n.name, done);
        }
        for (const w of done.first.words) first.words.add(w);
        for (const pre of done.first.prefixes) first.prefixes.add(pre);
        if (done.first.any) first.any = true;
        return done.empty;
      }
    }
  }

  private sequence(seq: readonly PatternNode[]): string {
    return seq.map((n) => this.node(n)).join('');
  }

  private node(n: PatternNode): string {
    switch (n.kind) {
      case 'word':
        if (!n.prefix) this.words.add(n.text);
        return ` ${escapeRegex(n.text)}${n.prefix ? '[^ |]*' : ''}`;
      case 'gap': {
        const guard = this.gapGuard === '' ? '' : `(?!${this.gapGuard}(?= |$))`;
        return `((?:${guard} [^ |]+){0,${this.gapWords}})`;
      }
      case 'choice': {
        const alt = alternation(n.options.map((o) => this.sequence(o)));
        return n.optional ? `${alt}?` : alt;
      }
      case 'slot':
        return this.slot(n.name);
    }
  }

  private slot(name: string): string {
    const done = this.compiledVocab.get(name);
    if (done !== undefined) return done;
    if (this.stack.includes(name)) {
      throw new PatternError(`vocabulary {${name}} refers to itself (${[...this.stack, name].join(' -> ')})`);
    }
    const phrases = this.vocab[name];
    if (phrases === undefined) throw new PatternError(`unknown vocabulary {${name}}`);
    this.stack.push(name);
    try {
      let parsed = this.parsedVocab.get(name);
      if (parsed === undefined) {
        parsed = phrases.map((p) => parsePattern(p));
        this.parsedVocab.set(name, parsed);
      }
      const src = alternation(parsed.map((seq) => this.sequence(seq)));
      this.compiledVocab.set(name, src);
      return src;
    } finally {
      this.stack.pop();
    }
  }
}

function alternation(sources: readonly string[]): string {
  const unique = [...new Set(sources)].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  return `(?:${unique.join('|')})`;
}

/** The words a match can start with: whole words, word beginnings (`word*`), or any word. */
interface FirstWords {
  words: Set<string>;
  prefixes: Set<string>;
  any: boolean;
}

/** A sticky regular expression over the token string, and the words a match can start with. */
interface Matcher {
  re: RegExp;
  first: FirstWords;
  prefixes: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Text -> tokens

interface Token {
  norm: string;
  start: number;
  end: number;
  /** A sentence ends here: ".", "!", "?", ";" or a new line. */
  stop?: boolean;
}

const APOSTROPHES = "'\u2018\u2019\u201b\u02bc\u0060\u00b4";
const TOKEN_RE = new RegExp(
  `\\p{N}+(?:[.,]\\p{N}+)*|\\p{L}+(?:[${APOSTROPHES}]\\p{L}+)*|[.,;:!?()\\n\\u2013\\u2014]|\\s-\\s`,
  'gu',
);
const APOSTROPHE_RE = new RegExp(`[${APOSTROPHES}]`, 'g');
const BREAK = '|';
/** Words whose "'s" means "is" or "has" ("it's" -> "its"); after any other word it is a possessive. */
const S_IS = new Set(['it', 'he', 'she', 'that', 'there', 'here', 'what', 'who', 'where', 'how', 'let']);

function tokenize(text: string, spellings?: ReadonlyMap<string, string>): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(TOKEN_RE)) {
    const raw = m[0];
    let norm = BREAK;
    if (/^\p{N}/u.test(raw)) norm = raw.replace(/,/g, '');
    else if (/^\p{L}/u.test(raw)) {
      const lower = raw.toLowerCase().replace(APOSTROPHE_RE, "'");
      const possessive = lower.endsWith("'s") && !S_IS.has(lower.slice(0, -2));
      // Letters typed three or more times in a row are stretched words ("numbbb", "sooo"): keep two.
      norm = foldPhrase(possessive ? lower.slice(0, -2) : lower)
        .replace(/[^a-z0-9]/g, '')
        .replace(/([a-z])\1{2,}/g, '$1$1');
      norm = spellings?.get(norm) ?? norm;
    }
    if (norm === BREAK && /^[.!?;\n]$/.test(raw)) {
      tokens.push({ norm, start: m.index, end: m.index + raw.length, stop: true });
    } else if (norm !== '') tokens.push({ norm, start: m.index, end: m.index + raw.length });
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Typo correction (edit distance 1 to a word the table uses)

const requireCjs = createRequire(import.meta.url);

type Distance = (a: string, b: string, options?: { restricted?: boolean }) => number;
// Deep imports: the package root of `natural` also loads database clients and reads .env.
const { DamerauLevenshteinDistance } = requireCjs('natural/lib/natural/distance/levenshtein_distance.js') as {
  DamerauLevenshteinDistance: Distance;
};

let englishWords: ReadonlySet<string> | undefined;
/** natural's English part-of-speech lexicon (~93k words), used as "a real word, not a typo". */
function english(): ReadonlySet<string> {
  if (englishWords === undefined) {
    const file = requireCjs.resolve(
      'natural/lib/natural/brill_pos_tagger/data/English/lexicon_from_posjs.json',
    );
    const words = Object.keys(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
    englishWords = new Set(words.map((w) => w.toLowerCase()));
  }
  return englishWords;
}

function deletions(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1));
  return out;
}

/**
 * How likely a one-edit typo is, when several table words are one edit away: a left-out letter
 * ("numbess" for "numbness") is the most common slip, then swapped letters, then a wrong letter,
 * then an extra letter.
 */
function typoRank(typed: string, candidate: string): number {
  if (candidate.length > typed.length) return 0;
  if (candidate.length < typed.length) return 3;
  return [...typed].sort().join('') === [...candidate].sort().join('') ? 1 : 2;
}

class TypoCorrector {
  private readonly targets: ReadonlySet<string>;
  private readonly index = new Map<string, string[]>();
  private readonly cache = new Map<string, string>();
  private readonly known: ReadonlySet<string>;

  constructor(
    targets: Iterable<string>,
    known: Iterable<string>,
    private readonly minLength: number,
  ) {
    const t = new Set<string>();
    for (const w of targets) if (/^[a-z]{4,}$/.test(w)) t.add(w);
    this.targets = t;
    this.known = new Set(known);
    english(); // load now, not on the first message
    const add = (key: string, w: string): void => {
      const list = this.index.get(key);
      if (list === undefined) this.index.set(key, [w]);
      else if (!list.includes(w)) list.push(w);
    };
    for (const w of [...t].sort()) {
      add(w, w);
      for (const d of deletions(w)) add(d, w);
    }
  }

  correct(word: string): string {
    if (word.length < this.minLength || !/^[a-z]+$/.test(word) || this.targets.has(word)) return word;
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    let result = word;
    if (!this.known.has(word) && !english().has(word)) {
      const candidates = new Set<string>(this.index.get(word) ?? []);
      for (const d of deletions(word)) for (const w of this.index.get(d) ?? []) candidates.add(w);
      const hits = [...candidates]
        .filter((w) => DamerauLevenshteinDistance(word, w, { restricted: true }) === 1)
        .sort(
          (a, b) =>
            Number(b[0] === word[0]) - Number(a[0] === word[0]) ||
            typoRank(word, a) - typoRank(word, b) ||
            (a < b ? -1 : 1),
        );
      result = hits[0] ?? word;
    }
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(word, result);
    return result;
  }
}

// ---------------------------------------------------------------------------------------------
// The detector

interface Span {
  s: number;
  e: number;
}

interface CompiledRule {
  rule: RedFlagRule;
  re: Matcher;
  except?: Matcher;
  notWith?: Matcher;
  onlyWith?: Matcher;
}

interface Cues {
  before: Matcher;
  after: Matcher;
  pseudo: Matcher;
  breaks: Matcher;
  joiners: Matcher;
  others: Matcher;
  self: Matcher;
  longAgo?: Matcher;
  recent?: Matcher;
  notReported?: Matcher;
  now?: Matcher;
  hypothetical?: Matcher;
  ownComplaint?: Matcher;
  questionWords?: Matcher;
}

/** The token string and maps from its character offsets back to token indices. */
interface Prepared {
  tokens: Token[];
  text: string;
  /** Offset in `text` of the space before each token. */
  offsets: number[];
  startAt: Map<number, number>;
  endAt: Map<number, number>;
}

/** Negative auxiliaries that a question puts before "i": "why can't I feel ..." reads as "why I can't feel ...". */
const NEG_AUX = new Set(['cant', 'cannot', 'couldnt', 'dont', 'didnt', 'wont', 'wouldnt']);
/** Auxiliaries that a question puts before "i not": "why can I not pee" reads as "why I can not pee". */
const AUX_BEFORE_I_NOT = new Set(['can', 'could', 'do', 'did', 'will', 'would']);

/**
 * Undo the question word order "can't I" / "can I not" so that patterns written for statements
 * ("{cant_feel} my bum") also find questions ("why can't I feel my bum?"). Only the words change
 * places; each keeps its position in the text.
 */
function uninvert(tokens: Token[]): void {
  for (let i = 0; i + 1 < tokens.length; i++) {
    const a = tokens[i];
    const b = tokens[i + 1];
    if (a === undefined || b === undefined || b.norm !== 'i') continue;
    const inverted = NEG_AUX.has(a.norm) || (AUX_BEFORE_I_NOT.has(a.norm) && tokens[i + 2]?.norm === 'not');
    if (!inverted) continue;
    b.norm = a.norm;
    a.norm = 'i';
    i++;
  }
}

function prepare(raw: string, typos: TypoCorrector, spellings?: ReadonlyMap<string, string>): Prepared {
  const tokens = tokenize(raw, spellings);
  for (const t of tokens) if (t.norm !== BREAK) t.norm = typos.correct(t.norm);
  uninvert(tokens);
  const startAt = new Map<number, number>();
  const endAt = new Map<number, number>();
  const offsets: number[] = [];
  let text = '';
  tokens.forEach((t, i) => {
    offsets.push(text.length);
    startAt.set(text.length, i);
    text += ` ${t.norm}`;
    endAt.set(text.length, i + 1);
  });
  return { tokens, text, offsets, startAt, endAt };
}

interface Found extends Span {
  gaps: Span[];
}

function canStart(m: Matcher, word: string): boolean {
  if (m.first.any || m.first.words.has(word)) return true;
  for (const pre of m.prefixes) if (word.startsWith(pre)) return true;
  return false;
}

/** Every match, one per starting token (longest alternative first), tried only where one can start. */
function findAll(matcher: Matcher, p: Prepared, withGaps = false): Found[] {
  const out: Found[] = [];
  const { re } = matcher;
  for (let i = 0; i < p.tokens.length; i++) {
    const token = p.tokens[i];
    if (token === undefined || !canStart(matcher, token.norm)) continue;
    re.lastIndex = p.offsets[i] ?? 0;
    const m = re.exec(p.text);
    if (m === null) continue;
    const s = i;
    const e = p.endAt.get(m.index + m[0].length);
    if (e !== undefined && e > s) {
      const gaps: Span[] = [];
      if (withGaps && m.indices) {
        for (let g = 1; g < m.indices.length; g++) {
          const range = m.indices[g];
          if (range === undefined || range[0] === range[1]) continue;
          const gs = p.startAt.get(range[0]);
          const ge = p.endAt.get(range[1]);
          if (gs !== undefined && ge !== undefined) gaps.push({ s: gs, e: ge });
        }
      }
      out.push({ s, e, gaps });
    }
  }
  return out;
}

const overlaps = (a: Span, b: Span): boolean => a.s < b.e && b.s < a.e;
const inside = (a: Span, b: Span): boolean => a.s >= b.s && a.e <= b.e;

export function compileRedFlags(table: RedFlagTable): RedFlagDetector {
  const { settings, language } = table;
  const compiler = new PatternCompiler(table.vocab, settings.gap_words);
  const re = (phrases: readonly string[]): Matcher => compiler.matcher(phrases);
  compiler.gapGuard = compiler.compileAll(language.clause_breaks);
  const cues: Cues = {
    before: re(language.negation_before),
    after: re(language.negation_after),
    pseudo: re(language.not_negation),
    breaks: re(language.clause_breaks),
    joiners: re(language.list_joiners),
    others: re(language.someone_else),
    self: re(language.self),
    ...(language.question_words?.length ? { questionWords: re(language.question_words) } : {}),
    ...(language.long_ago?.length ? { longAgo: re(language.long_ago) } : {}),
    ...(language.recent?.length ? { recent: re(language.recent) } : {}),
    ...(language.now?.length ? { now: re(language.now) } : {}),
    ...(language.hypothetical?.length ? { hypothetical: re(language.hypothetical) } : {}),
    ...(language.not_reported?.length ? { notReported: re(language.not_reported) } : {}),
    ...(language.own_complaint?.length ? { ownComplaint: re(language.own_complaint) } : {}),
  };
  const spellings = new Map(Object.entries(language.spellings ?? {}));
  const rules: CompiledRule[] = table.rules.map((rule) => ({
    rule,
    re: re(rule.patterns),
    ...(rule.not_when_part_of?.length ? { except: re(rule.not_when_part_of) } : {}),
    ...(rule.not_with?.length ? { notWith: re(rule.not_with) } : {}),
    ...(rule.only_with?.length ? { onlyWith: re(rule.only_with) } : {}),
  }));
  const known = language.known_words.map((w) => foldPhrase(w).replace(/[^a-z0-9]/g, ''));
  const typos = new TypoCorrector(compiler.words, known, settings.typo_min_length);

  const detect = (raw: string): RedFlagDetection => {
    const p = prepare(raw, typos, spellings);
    const n = p.tokens.length;
    if (n === 0) return { signals: [], matches: [] };

    // Clause structure: "|" tokens and break phrases start a new clause.
    const breaks = findAll(cues.breaks, p);
    const breakStarts: number[] = breaks.map((b) => b.s);
    p.tokens.forEach((t, i) => {
      if (t.norm === BREAK) breakStarts.push(i, i + 1);
    });
    breakStarts.sort((a, b) => a - b);
    const clauseStart = (s: number): number => {
      let c = 0;
      for (const b of breakStarts) if (b <= s) c = b;
      return c;
    };
    const clauseEnd = (e: number): number => {
      for (const b of breakStarts) if (b >= e) return b;
      return n;
    };

    // Negation words, minus look-alikes ("not sure") and interjections inside break phrases ("no, i").
    const pseudo = findAll(cues.pseudo, p);
    const live = (c: Span): boolean =>
      !pseudo.some((q) => overlaps(c, q)) && !breaks.some((b) => overlaps(c, b));
    const before = findAll(cues.before, p).filter(live);
    const after = findAll(cues.after, p).filter(live);
    const joiners = findAll(cues.joiners, p);
    const others = findAll(cues.others, p);
    const self = findAll(cues.self, p);

    const negated = (m: Found): boolean => {
      // Scope: the same clause, not further back than the window, not back across "and".
      let from = Math.max(clauseStart(m.s), m.s - settings.negation_window);
      let to = clauseEnd(m.e);
      for (const j of joiners) {
        if (j.e <= m.s) from = Math.max(from, j.e);
        else if (j.s >= m.e) to = Math.min(to, j.s);
      }
      let count = 0;
      let negativeWording = false;
      for (const c of before) {
        if (c.e <= m.s) {
          if (c.s >= from) count++;
        } else if (c.s < m.s) {
          count++; // a negation phrase running into the match: "never had" + "had cancer"
        } else if (c.s < m.e) {
          if (m.gaps.some((g) => inside(c, g))) count++;
          else negativeWording = true; // the wording itself is negative: "can't feel", "no feeling"
        }
      }
      for (const c of after) {
        if (c.s >= m.e && c.e <= to && c.s - m.e <= settings.after_window) count++;
      }
      return count > 0 && !negativeWording;
    };

    /** The nearest "who" word before `m` in its clause, if it names someone else. */
    const otherSubject = (m: Span): Found | undefined => {
      const cs = clauseStart(m.s);
      let nearest: { c: Found; other: boolean } | undefined;
      const consider = (list: Found[], other: boolean): void => {
        for (const c of list) {
          if (c.s < cs || c.e > m.s) continue;
          if (!nearest || c.e > nearest.c.e || (c.e === nearest.c.e && other)) nearest = { c, other };
        }
      };
      consider(self, false);
      consider(others, true);
      return nearest?.other ? nearest.c : undefined;
    };
    const aboutSomeoneElse = (m: Found): boolean => otherSubject(m) !== undefined;

    // `someone_else: reported`: a carer reporting another adult's sign ("my husband can't empty his
    // bladder") escalates for that person; a baby's or a pet's does not, nor one mentioned beside the
    // writer's own complaint ("my grandad ... and my back is sore from lifting him").
    let ownComplaint: boolean | undefined;
    const reportedFor = (m: Found): boolean => {
      const who = otherSubject(m);
      if (who === undefined) return false;
      if (cues.notReported && findAll(cues.notReported, p).some((x) => overlaps(x, who))) return false;
      ownComplaint ??=
        cues.ownComplaint !== undefined &&
        findAll(cues.ownComplaint, p).some(
          (c) =>
            !negated(c) && !aboutSomeoneElse(c) && self.some((x) => x.s <= c.s && x.s >= clauseStart(c.s)),
        );
      return !ownComplaint;
    };

    // Sentences: a "|" token that was ".", "!", "?", ";" or a new line ends one.
    const stops: number[] = [];
    p.tokens.forEach((t, i) => {
      if (t.stop) stops.push(i);
    });
    const sentenceOf = (m: Span): Span => {
      let s = 0;
      let e = n;
      for (const b of stops) {
        if (b < m.s) s = b + 1;
        else if (b >= m.e) {
          e = b;
          break;
        }
      }
      return { s, e };
    };
    /** Cues that count: not negated, inside the sentence of `m`. */
    const liveIn = (list: Found[], m: Span): boolean => {
      const sent = sentenceOf(m);
      return list.some((c) => inside(c, sent) && !negated(c));
    };
    let longAgo: Found[] | undefined;
    let recent: Found[] | undefined;
    let now: Found[] | undefined;
    const isLongAgo = (m: Span): boolean => {
      if (!cues.longAgo) return false;
      recent ??= cues.recent ? findAll(cues.recent, p) : [];
      const recentCues = recent;
      longAgo ??= findAll(cues.longAgo, p).filter((c) => !recentCues.some((r) => overlaps(c, r)));
      // "had cancer 5 years ago and now my legs feel weak": the story has come back to now.
      now ??= cues.now ? findAll(cues.now, p) : [];
      const nowCues = now;
      const sent = sentenceOf(m);
      const past = longAgo.filter(
        (c) =>
          inside(c, sent) && !nowCues.some((x) => x.s >= Math.min(c.e, m.e) && x.e <= Math.max(c.s, m.s)),
      );
      return liveIn(past, m) && !recentCues.some((r) => inside(r, sent));
    };

    // A general question ("what does saddle numbness mean?", "can sciatica affect the bladder?")
    // reports no symptom: a sentence that asks, and says nothing about the person asking.
    let questionOpeners: Found[] | undefined;
    const isGeneralQuestion = (m: Span): boolean => {
      if (!cues.questionWords) return false;
      const sent = sentenceOf(m);
      const stop = p.tokens[sent.e];
      const asks =
        (stop !== undefined && raw.slice(stop.start, stop.end) === '?') ||
        (sent.e === n && /\?\s*$/.test(raw));
      questionOpeners ??= findAll(cues.questionWords, p);
      const opens = questionOpeners.some((q) => q.s === sent.s);
      if (!asks && !opens) return false;
      return !self.some((c) => inside(c, sent));
    };

    // "What should I do if I can't feel my bum?", "in case I lose control of my bladder": a
    // possibility asked about, before the sign in its sentence, reports nothing.
    let hypotheticals: Found[] | undefined;
    const isHypothetical = (m: Span): boolean => {
      if (!cues.hypothetical) return false;
      hypotheticals ??= findAll(cues.hypothetical, p, true);
      const sent = sentenceOf(m);
      return hypotheticals.some((c) => inside(c, sent) && c.s <= m.s && !negated(c));
    };

    const matches: (RedFlagMatch & { order: number })[] = [];
    const firstAt = new Map<string, number>();
    for (const { rule, re: ruleRe, except, notWith, onlyWith } of rules) {
      let exceptions: Found[] | undefined;
      let explanations: Found[] | undefined;
      let companion: boolean | undefined;
      let lastEnd = -1;
      for (const m of findAll(ruleRe, p, true)) {
        if (m.s < lastEnd) continue;
        exceptions ??= except ? findAll(except, p) : [];
        if (exceptions.some((x) => overlaps(x, m))) continue;
        if (negated(m)) continue;
        let forSomeoneElse = false;
        if (rule.someone_else === 'reported') {
          if (aboutSomeoneElse(m)) {
            if (!reportedFor(m)) continue;
            forSomeoneElse = true;
          }
        } else if (rule.someone_else !== 'counts' && aboutSomeoneElse(m)) continue;
        if (rule.long_ago === 'ignore' && isLongAgo(m)) continue;
        if (isGeneralQuestion(m) || isHypothetical(m)) continue;
        if (notWith) {
          explanations ??= findAll(notWith, p, true);
          if (liveIn(explanations, m)) continue;
        }
        if (onlyWith) {
          companion ??= findAll(onlyWith, p, true).some(
            (c) => !negated(c) && (rule.someone_else === 'counts' || !aboutSomeoneElse(c)),
          );
          if (!companion) continue;
        }
        lastEnd = m.e;
        const first = p.tokens[m.s];
        const last = p.tokens[m.e - 1];
        if (!first || !last) continue;
        matches.push({
          ruleId: rule.id,
          signal: rule.signal,
          span: [first.start, last.end],
          order: m.s,
          ...(forSomeoneElse ? { someoneElse: true as const } : {}),
        });
        const seen = firstAt.get(rule.signal);
        if (seen === undefined || m.s < seen) firstAt.set(rule.signal, m.s);
      }
    }
    const signals = [...firstAt.entries()].sort((a, b) => a[1] - b[1]).map(([signal]) => signal);
    matches.sort((a, b) => a.order - b.order);
    return { signals, matches: matches.map(({ order: _order, ...match }) => match) };
  };

  return { detect };
}

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
  const parsed = tableSchema.safeParse(data);
  if (!parsed.success) return { table: undefined, problems: schemaProblems(parsed.error, file, data) };
  problems.push(...checkRedFlagTable(parsed.data, file));
  return { table: parsed.data, problems };
}

// ---------------------------------------------------------------------------------------------
// Triage table loading (the evaluation itself is pure, in dialogs/triage-rules.ts)

const signalList = z.array(z.string().min(1));

const triageSchema = z.object({
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
  const parsed = triageSchema.safeParse(data);
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
