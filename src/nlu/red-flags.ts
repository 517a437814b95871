/**
 * Red-flag detector: free text -> clinical signals, from the rule table in knowledge/red-flags.yaml.
 *
 * How a message is read (the pattern language itself is described in the YAML's header):
 * 1. Tokenise: words through the one fold (src/text/fold.ts), apostrophes dropped ("can't" ->
 *    "cant"), a possessive "'s" dropped ("mum's" -> "mum"); sentence punctuation becomes a clause
 *    boundary token "|". Each token keeps its character span in the original text.
 * 2. Typos: a word of 5+ letters that is neither in the table's own words nor a known English word
 *    is replaced by the table word one edit away (src/text/typos.ts, the likeliest slip), if any.
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
 * Pure and deterministic once compiled. The table's schema and loader are in
 * src/knowledge/clinical-tables.ts, the pattern language in src/text/patterns.ts, the text fold
 * and the typo corrector in src/text/.
 */
import type { RedFlagRule, RedFlagTable } from '../knowledge/clinical-tables.js';
import { APOSTROPHES, fold, foldPhrase, isPossessive, negativeContractions } from '../text/fold.js';
import { PatternCompiler, type Matcher, type WordSet } from '../text/patterns.js';
import { createTypoCorrector, englishLexicon, likeliestSlip, type TypoCorrector } from '../text/typos.js';

export type { RedFlagRule, RedFlagTable };

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
// Text -> tokens

interface Token {
  norm: string;
  start: number;
  end: number;
  /** A sentence ends here: ".", "!", "?", ";" or a new line. */
  stop?: boolean;
}

const TOKEN_RE = new RegExp(
  `\\p{N}+(?:[.,]\\p{N}+)*|\\p{L}+(?:[${APOSTROPHES}]\\p{L}+)*|[.,;:!?()\\n\\u2013\\u2014]|\\s-\\s`,
  'gu',
);
const BREAK = '|';

/** The normalised form of one typed word (a pure function of the word and the table's spellings). */
function wordNorm(raw: string, spellings?: ReadonlyMap<string, string>): string {
  const folded = fold(raw);
  // Letters typed three or more times in a row are stretched words ("numbbb", "sooo"): keep two.
  const norm = foldPhrase(isPossessive(folded) ? folded.slice(0, -2) : folded)
    .replace(/[^a-z0-9]/g, '')
    .replace(/([a-z])\1{2,}/g, '$1$1');
  return spellings?.get(norm) ?? norm;
}

/** Typed words remembered per detector (their norms repeat from message to message); cleared when full. */
const WORD_CACHE_LIMIT = 20_000;

function tokenize(
  text: string,
  spellings?: ReadonlyMap<string, string>,
  cache?: Map<string, string>,
): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(TOKEN_RE)) {
    const raw = m[0];
    let norm = BREAK;
    if (/^\p{N}/u.test(raw)) norm = raw.replace(/,/g, '');
    else if (/^\p{L}/u.test(raw)) {
      const hit = cache?.get(raw);
      if (hit !== undefined) norm = hit;
      else {
        norm = wordNorm(raw, spellings);
        if (cache) {
          if (cache.size >= WORD_CACHE_LIMIT) cache.clear();
          cache.set(raw, norm);
        }
      }
    }
    if (norm === BREAK && /^[.!?;\n]$/.test(raw)) {
      tokens.push({ norm, start: m.index, end: m.index + raw.length, stop: true });
    } else if (norm !== '') tokens.push({ norm, start: m.index, end: m.index + raw.length });
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Typo correction (edit distance 1 to a word the table uses)

/**
 * The red-flag configuration of the one typo corrector (src/text/typos.ts): targets are the words
 * the table's patterns use; a table word, a `known_words` entry or a real English word is never
 * corrected; among several table words one edit away the likeliest slip wins.
 */
function tableTypos(targets: Iterable<string>, known: Iterable<string>, minLength: number): TypoCorrector {
  const targetSet = new Set([...targets].filter((w) => /^[a-z]{4,}$/.test(w)));
  const knownSet = new Set(known);
  const english = englishLexicon(); // load now, not on the first message
  return createTypoCorrector({
    targets: [...targetSet].sort(),
    minLength,
    isKnown: (word) => targetSet.has(word) || knownSet.has(word) || english.has(word),
    choose: likeliestSlip,
  });
}

// ---------------------------------------------------------------------------------------------
// The detector

interface Span {
  s: number;
  e: number;
}

/** A matcher with its place in the detector's list of matchers (see `Prepared.starts`). */
interface Indexed extends Matcher {
  id: number;
  /** `re` without match indices ("d" flag), which make every attempt slower: tried first. */
  plain: RegExp;
}

interface CompiledRule {
  rule: RedFlagRule;
  /**
   * The prefilter: per pattern, the ids of the word sets a match must have a token of (see
   * PatternCompiler.requirements); undefined when some pattern requires nothing.
   */
  needs?: number[][];
  re: Indexed;
  except?: Indexed;
  notWith?: Indexed;
  onlyWith?: Indexed;
}

interface Cues {
  before: Indexed;
  after: Indexed;
  pseudo: Indexed;
  breaks: Indexed;
  joiners: Indexed;
  others: Indexed;
  self: Indexed;
  longAgo?: Indexed;
  recent?: Indexed;
  notReported?: Indexed;
  now?: Indexed;
  hypothetical?: Indexed;
  ownComplaint?: Indexed;
  questionWords?: Indexed;
}

/** The token string and maps from its character offsets back to token indices. */
interface Prepared {
  tokens: Token[];
  text: string;
  /** Offset in `text` of the space before each token. */
  offsets: number[];
  startAt: Map<number, number>;
  endAt: Map<number, number>;
  /**
   * Per token, which matchers can start at it (indexed by matcher id, 1 = can): the same answer
   * as canStart(), looked up once per distinct word instead of once per matcher and token.
   */
  starts: Uint8Array[];
}

/** Auxiliaries that a question puts before "i not": "why can I not pee" reads as "why I can not pee". */
const AUX_BEFORE_I_NOT = new Set(['can', 'could', 'do', 'did', 'will', 'would']);
/**
 * Their negative contractions, from the one contraction table (cant, cannot, couldnt, dont, didnt,
 * wont, wouldnt), that a question puts before "i": "why can't I feel ..." reads as "why I can't feel ...".
 */
const NEG_AUX = negativeContractions(AUX_BEFORE_I_NOT);

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

function prepare(
  raw: string,
  typos: TypoCorrector,
  startersOf: (word: string) => Uint8Array,
  spellings?: ReadonlyMap<string, string>,
  words?: Map<string, string>,
): Prepared {
  const tokens = tokenize(raw, spellings, words);
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
  return { tokens, text, offsets, startAt, endAt, starts: tokens.map((t) => startersOf(t.norm)) };
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
function findAll(matcher: Indexed, p: Prepared, withGaps = false): Found[] {
  const out: Found[] = [];
  const { re, plain, id } = matcher;
  for (let i = 0; i < p.tokens.length; i++) {
    if (p.starts[i]?.[id] !== 1) continue;
    plain.lastIndex = p.offsets[i] ?? 0;
    let m = plain.exec(p.text);
    if (m === null) continue;
    if (withGaps) {
      // The same expression at the same place: the same match, now with the gaps' positions.
      re.lastIndex = m.index;
      m = re.exec(p.text);
      if (m === null) continue;
    }
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

export interface CompileOptions {
  /**
   * Skip a rule whose patterns each need a word the message lacks (default true). Off only to
   * prove that it never changes a result (tests/unit/red-flags-prefilter.test.ts).
   */
  prefilter?: boolean;
}

export function compileRedFlags(table: RedFlagTable, options: CompileOptions = {}): RedFlagDetector {
  const { settings, language } = table;
  const compiler = new PatternCompiler(table.vocab, settings.gap_words);
  // Every matcher gets an id; which of them can start at a word is worked out once per word.
  const matchers: Indexed[] = [];
  const re = (phrases: readonly string[]): Indexed => {
    const compiled = compiler.matcher(phrases);
    const m: Indexed = {
      ...compiled,
      id: matchers.length,
      plain: new RegExp(compiled.re.source, compiled.re.flags.replace('d', '')),
    };
    matchers.push(m);
    return m;
  };
  const startCache = new Map<string, Uint8Array>();
  const startersOf = (word: string): Uint8Array => {
    let can = startCache.get(word);
    if (can === undefined) {
      can = new Uint8Array(matchers.length);
      for (const m of matchers) if (canStart(m, word)) can[m.id] = 1;
      if (startCache.size >= WORD_CACHE_LIMIT) startCache.clear();
      startCache.set(word, can);
    }
    return can;
  };
  const words = new Map<string, string>();
  const setCache = new Map<string, number[]>();
  /** The prefilter's sets that a token satisfies. */
  const setsOf = (word: string): number[] => {
    let ids = setCache.get(word);
    if (ids === undefined) {
      ids = [];
      for (let id = 0; id < sets.length; id++) {
        const set = sets[id]!;
        if (set.words.has(word) || set.prefixes.some((pre) => word.startsWith(pre))) ids.push(id);
      }
      if (setCache.size >= WORD_CACHE_LIMIT) setCache.clear();
      setCache.set(word, ids);
    }
    return ids;
  };
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
  // The prefilter's word sets, each once (a word or a vocabulary is used by many patterns).
  const sets: WordSet[] = [];
  const setIds = new Map<string, number>();
  const idOf = (set: WordSet): number => {
    const key = `${[...set.words].sort().join(' ')}|${[...set.prefixes].sort().join(' ')}`;
    let id = setIds.get(key);
    if (id === undefined) {
      id = sets.length;
      sets.push(set);
      setIds.set(key, id);
    }
    return id;
  };
  const needsOf = (patterns: readonly string[]): number[][] | undefined => {
    if (options.prefilter === false) return undefined;
    const needs = compiler.requirements(patterns).map((list) => list.map(idOf));
    return needs.some((list) => list.length === 0) ? undefined : needs;
  };
  const rules: CompiledRule[] = table.rules.map((rule) => {
    const needs = needsOf(rule.patterns);
    return {
      rule,
      ...(needs ? { needs } : {}),
      re: re(rule.patterns),
      ...(rule.not_when_part_of?.length ? { except: re(rule.not_when_part_of) } : {}),
      ...(rule.not_with?.length ? { notWith: re(rule.not_with) } : {}),
      ...(rule.only_with?.length ? { onlyWith: re(rule.only_with) } : {}),
    };
  });
  const known = language.known_words.map((w) => foldPhrase(w).replace(/[^a-z0-9]/g, ''));
  const typos = tableTypos(compiler.words, known, settings.typo_min_length);

  const detect = (raw: string): RedFlagDetection => {
    const p = prepare(raw, typos, startersOf, spellings, words);
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

    // The prefilter: which word sets the message has a token of.
    const has = new Uint8Array(sets.length);
    for (const t of p.tokens) for (const id of setsOf(t.norm)) has[id] = 1;
    const possible = (needs: number[][]): boolean => needs.some((list) => list.every((id) => has[id] === 1));

    const matches: (RedFlagMatch & { order: number })[] = [];
    const firstAt = new Map<string, number>();
    for (const { rule, needs, re: ruleRe, except, notWith, onlyWith } of rules) {
      if (needs !== undefined && !possible(needs)) continue;
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
