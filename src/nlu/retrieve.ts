/**
 * Passage retrieval: which part of the knowledge base holds the fact a question asks for.
 *
 * The answer unit is the passage, not the entry: every entry's short answer (its overview) and
 * each of its `## ` sections is a passage of its own. A question is matched against them with
 *   - BM25 over Porter stems (natural's stemmer, via text.ts), stop words removed, the question's
 *     words expanded with the synonym groups of knowledge/language.yaml ("jab" finds "injection");
 *   - question types from the same file ("how common" wants a passage that says how common or
 *     rare something is; "what is" wants the overview);
 *   - the follow-up aspect ("how is it treated?" -> the Treatment section);
 * and the result is combined with the classifier's topic posterior by the caller.
 *
 * Pure and deterministic; built once per knowledge base in a few milliseconds.
 */
import type { Aspect } from '../../dialogs/types.js';
import type { Knowledge } from '../knowledge/load.js';
import type { LanguageFile } from '../knowledge/language-file.js';
import { normalize as canonical, stem } from '../text/fold.js';

export interface Passage {
  entry: string;
  /** undefined = the entry's short answer (overview). */
  section?: Aspect;
  /** Stems of the passage text (title and heading included), stop words removed. */
  terms: Map<string, number>;
  /** Stems of the entry's title (shared by all its passages). */
  title: Set<string>;
  length: number;
  /** Question types this passage can answer (from its own words). */
  types: Set<string>;
}

export interface PassageScore {
  entry: string;
  section?: Aspect;
  /** BM25 of the question against the passage, divided by the best BM25 for that question (0..1). */
  match: number;
  /** The BM25 score itself (0 when no word of the question is in the passage). */
  raw: number;
  /** Question types the question asks that this passage answers. */
  typeHits: string[];
  /** Rare words of the question (in few passages) that this passage has and its entry's title does not. */
  rare: string[];
}

export interface Retriever {
  readonly passages: readonly Passage[];
  /** Question types a question asks (e.g. "prevalence", "definition"). */
  questionTypes(text: string): string[];
  /** Score every passage of the given entries (all entries when omitted). */
  score(text: string, entries?: ReadonlySet<string>): PassageScore[];
  /** The BM25 score of every passage (index as in `passages`), without the per-passage details. */
  raw(text: string): Float64Array;
  /** Stems of the question that carry meaning (stop words removed, synonyms not added). */
  contentTerms(text: string): string[];
}

export type RetrievalWords = NonNullable<LanguageFile['retrieval']>;

const K1 = 1.2;
/** A word in at most this many passages is a rare, telling word ("amnesia", "psoas"). */
const RARE_DF = 3;
const B = 0.75;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const stems = (text: string): string[] =>
  canonical(text)
    .split(' ')
    .filter(Boolean)
    .map((w) => stem(w));

export function buildRetriever(knowledge: Knowledge, words: RetrievalWords): Retriever {
  const stop = new Set(words.stopwords.flatMap(stems));
  // Synonym groups as stems: every stem of a group points at the group's other stems.
  const synonyms = new Map<string, Set<string>>();
  for (const group of words.synonyms) {
    // One-word synonyms only: "pain relief" would make "pain" a synonym of "medicine".
    const all = [
      ...new Set(
        group
          .map(stems)
          .filter((s) => s.length === 1)
          .map((s) => s[0]!),
      ),
    ].filter((s) => !stop.has(s));
    for (const s of all) {
      const set = synonyms.get(s) ?? new Set<string>();
      for (const t of all) if (t !== s) set.add(t);
      synonyms.set(s, set);
    }
  }
  const phrase = (list: readonly string[]) =>
    new RegExp(`(?:^| )(?:${list.map((p) => escape(stems(p).join(' '))).join('|')})(?= |$)`);
  const types = Object.entries(words.questionTypes).map(([name, t]) => ({
    name,
    asks: phrase(t.asks),
    answers: t.answers ? phrase(t.answers) : undefined,
    section: t.section as Aspect | 'overview' | undefined,
  }));

  const content = (text: string) => stems(text).filter((s) => !stop.has(s) && s.length > 1);
  const passages: Passage[] = [];
  for (const entry of knowledge.topics.values()) {
    const title = entry.title.replace(/\(|\)/g, ' ');
    const bodies: Array<[Aspect | undefined, string]> = [
      [undefined, entry.answer],
      ...(Object.entries(entry.sections) as Array<[Aspect, string]>),
    ];
    for (const [section, body] of bodies) {
      const text = body.replace(/\{[^{}]*\}/g, ' ');
      const terms = new Map<string, number>();
      // Every passage carries its entry's title words (measured: better than the overview alone).
      const list = [...content(title), ...content(text)];
      for (const s of list) terms.set(s, (terms.get(s) ?? 0) + 1);
      const joined = ` ${stems(text).join(' ')} `;
      const answers = new Set(
        types
          .filter((t) =>
            t.section
              ? t.section === (section ?? 'overview')
              : t.answers !== undefined && t.answers.test(joined),
          )
          .map((t) => t.name),
      );
      passages.push({
        entry: entry.id,
        ...(section ? { section } : {}),
        terms,
        title: new Set(content(title)),
        length: list.length,
        types: answers,
      });
    }
  }
  const df = new Map<string, number>();
  for (const p of passages) for (const s of p.terms.keys()) df.set(s, (df.get(s) ?? 0) + 1);
  const n = passages.length;
  const avgLength = passages.reduce((a, p) => a + p.length, 0) / Math.max(1, n);
  const idf = (s: string) => {
    const d = df.get(s) ?? 0;
    return Math.log(1 + (n - d + 0.5) / (d + 0.5));
  };

  const questionTypes = (text: string): string[] => {
    const joined = stems(text).join(' ');
    return types.filter((t) => t.asks.test(joined)).map((t) => t.name);
  };

  // Inverted index: stem -> [passage index, term frequency], so a question touches only the
  // passages that share a word with it.
  const postings = new Map<string, Array<[number, number]>>();
  passages.forEach((p, i) => {
    for (const [t, tf] of p.terms) (postings.get(t) ?? postings.set(t, []).get(t)!).push([i, tf]);
  });
  const byEntry = new Map<string, number[]>();
  passages.forEach((p, i) => (byEntry.get(p.entry) ?? byEntry.set(p.entry, []).get(p.entry)!).push(i));
  const allIndices = passages.map((_, i) => i);
  const recent = new Map<string, { bm: Float64Array; asked: string[]; rareQuery: string[] }>();
  const norm = passages.map((p) => K1 * (1 - B + (B * p.length) / avgLength));
  const idfs = new Map([...df.keys()].map((t) => [t, idf(t)]));

  return {
    passages,
    questionTypes,
    contentTerms: content,
    raw: (text) => passOf(text).bm,
    score(text, entries) {
      const { bm, asked, rareQuery } = passOf(text);
      const out: PassageScore[] = [];
      const indices = entries ? [...entries].flatMap((e) => byEntry.get(e) ?? []) : allIndices;
      let top = 1e-9;
      for (const i of indices) top = Math.max(top, bm[i]!);
      for (const i of indices) {
        const p = passages[i]!;
        const raw = bm[i]!;
        out.push({
          entry: p.entry,
          ...(p.section ? { section: p.section } : {}),
          match: raw / top,
          raw,
          typeHits: asked.filter((t) => p.types.has(t)),
          rare:
            raw > 0 && rareQuery.length > 0 ? rareQuery.filter((q) => !p.title.has(q) && covers(p, q)) : [],
        });
      }
      return out;
    },
  };

  /** A rare word counts as present when the passage has it or one of its synonyms ("ice" / "cold"). */
  function covers(p: Passage, q: string): boolean {
    if (p.terms.has(q)) return true;
    for (const t of synonyms.get(q) ?? []) if (p.terms.has(t)) return true;
    return false;
  }

  /** One message is scored several times (candidates, a rescue check, follow-ups): one BM25 pass per text. */
  function passOf(text: string): { bm: Float64Array; asked: string[]; rareQuery: string[] } {
    let pass = recent.get(text);
    if (!pass) {
      pass = firstPass(text);
      if (recent.size >= 8) recent.delete(recent.keys().next().value!);
      recent.set(text, pass);
    }
    return pass;
  }

  function firstPass(text: string): { bm: Float64Array; asked: string[]; rareQuery: string[] } {
    const query = content(text);
    // The question's own words weigh 1, their synonyms 0.5 (a synonym is weaker evidence).
    const weights = new Map<string, number>();
    for (const s of query) weights.set(s, 1);
    for (const s of query) for (const t of synonyms.get(s) ?? []) if (!weights.has(t)) weights.set(t, 0.5);
    const bm = new Float64Array(passages.length);
    for (const [t, w] of weights) {
      const list = postings.get(t);
      if (!list) continue;
      const i = idfs.get(t) ?? 0;
      for (const [pi, tf] of list) bm[pi]! += (w * i * (tf * (K1 + 1))) / (tf + norm[pi]!);
    }
    const asked = questionTypes(text);
    const rareQuery = query.filter((q) => (df.get(q) ?? 0) <= RARE_DF);
    return { bm, asked, rareQuery };
  }
}
