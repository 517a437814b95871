/**
 * Spelling correction for classification: a word the model never saw is replaced by a known word
 * one edit away (a letter missing, extra, changed or two swapped): "apointment" -> "appointment",
 * "sciatia" -> "sciatica", "stenossis" -> "stenosis". Symmetric-deletion lookup (as in SymSpell):
 * every known word is indexed under itself and each of its one-letter deletions, so a lookup is a
 * handful of map reads. Short words (under 5 letters) are left alone: too many near neighbours.
 */
export interface SpellingCorrector {
  correct(word: string): string;
  correctText(words: readonly string[]): string[];
}

const MIN_LENGTH = 5;

function deletions(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1));
  return out;
}

/** True when a and b are at most one insertion, deletion, substitution or adjacent swap apart. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swap
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** Build from word frequencies (word -> count); the most frequent candidate wins a tie. */
export function createSpellingCorrector(frequencies: ReadonlyMap<string, number>): SpellingCorrector {
  const index = new Map<string, string[]>();
  const add = (key: string, word: string) => {
    const list = index.get(key);
    if (list) list.push(word);
    else index.set(key, [word]);
  };
  for (const word of frequencies.keys()) {
    if (word.length < MIN_LENGTH - 1 || !/^[a-z]+$/.test(word)) continue;
    add(word, word);
    for (const d of deletions(word)) add(d, word);
  }
  const cache = new Map<string, string>();
  const correct = (word: string): string => {
    if (word.length < MIN_LENGTH || frequencies.has(word) || !/^[a-z]+$/.test(word)) return word;
    const hit = cache.get(word);
    if (hit !== undefined) return hit;
    let best = word;
    let bestCount = 0;
    for (const key of [word, ...deletions(word)]) {
      for (const candidate of index.get(key) ?? []) {
        const count = frequencies.get(candidate) ?? 0;
        if (count > bestCount && withinOneEdit(word, candidate)) {
          best = candidate;
          bestCount = count;
        }
      }
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(word, best);
    return best;
  };
  return { correct, correctText: (words) => words.map(correct) };
}
