/**
 * The red-flag table's pattern language (described at the top of knowledge/red-flags.yaml):
 * words, `word*` beginnings, {vocabulary} names, [optional] and (one|other) choices and "..."
 * gaps, parsed and compiled to regular expressions over a token string " tok tok | tok".
 * The knowledge loader uses it to check every pattern of the table; the detector in
 * src/nlu/red-flags.ts to match them. Pure.
 */
import { foldPhrase } from './fold.js';

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

export type PatternNode =
  | { kind: 'word'; text: string; prefix: boolean }
  | { kind: 'slot'; name: string }
  | { kind: 'gap' }
  | { kind: 'choice'; options: PatternNode[][]; optional: boolean };

export function parsePattern(source: string): PatternNode[] {
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

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class PatternCompiler {
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

  /**
   * What a match of each phrase must contain: a list of word sets, and a match has, for every set
   * in its list, a token that is one of the set's words or starts with one of its prefixes (a
   * word of a pattern matches one whole token; "..." gaps and [optional] parts require nothing).
   * A message that lacks one of them cannot match that phrase, whatever its order of words: a
   * cheap test before the regular expression. An empty list requires nothing.
   */
  requirements(sources: readonly string[]): WordSet[][] {
    return sources.map((source) => this.requiredOf(parsePattern(source)));
  }

  private readonly requiredVocab = new Map<string, WordSet | null>();

  private requiredOf(seq: readonly PatternNode[]): WordSet[] {
    const out: WordSet[] = [];
    for (const n of seq) {
      const req = this.requiredNode(n);
      if (req !== undefined && !out.includes(req)) out.push(req);
    }
    return out;
  }

  /** One set of which a match of `n` has a token; undefined when `n` can match nothing or any word. */
  private requiredNode(n: PatternNode): WordSet | undefined {
    switch (n.kind) {
      case 'word':
        return n.prefix
          ? { words: new Set(), prefixes: [n.text] }
          : { words: new Set([n.text]), prefixes: [] };
      case 'gap':
        return undefined;
      case 'choice':
        return n.optional ? undefined : this.anyOption(n.options);
      case 'slot': {
        const done = this.requiredVocab.get(n.name);
        if (done !== undefined) return done ?? undefined;
        this.requiredVocab.set(n.name, null); // a guard: vocab never refers to itself
        let parsed = this.parsedVocab.get(n.name);
        if (parsed === undefined) {
          parsed = (this.vocab[n.name] ?? []).map((p) => parsePattern(p));
          this.parsedVocab.set(n.name, parsed);
        }
        const req = parsed.length > 0 ? this.anyOption(parsed) : undefined;
        this.requiredVocab.set(n.name, req ?? null);
        return req;
      }
    }
  }

  /** A match of one of the options has a token of the union of one required set of each option. */
  private anyOption(options: readonly (readonly PatternNode[])[]): WordSet | undefined {
    const words = new Set<string>();
    const prefixes = new Set<string>();
    for (const option of options) {
      const sets = this.requiredOf(option);
      if (sets.length === 0) return undefined;
      // The smallest set of the option: the most telling word of it.
      const best = sets.reduce((a, b) =>
        b.words.size + b.prefixes.length < a.words.size + a.prefixes.length ? b : a,
      );
      for (const w of best.words) words.add(w);
      for (const pre of best.prefixes) prefixes.add(pre);
    }
    return { words, prefixes: [...prefixes] };
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

export function alternation(sources: readonly string[]): string {
  const unique = [...new Set(sources)].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  return `(?:${unique.join('|')})`;
}

/** Tokens that are one of `words` or start with one of `prefixes`. */
export interface WordSet {
  words: ReadonlySet<string>;
  prefixes: readonly string[];
}

/** The words a match can start with: whole words, word beginnings (`word*`), or any word. */
export interface FirstWords {
  words: Set<string>;
  prefixes: Set<string>;
  any: boolean;
}

/** A sticky regular expression over the token string, and the words a match can start with. */
export interface Matcher {
  re: RegExp;
  first: FirstWords;
  prefixes: readonly string[];
}
