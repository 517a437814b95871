/**
 * The safety net for messages that are not in English, invoked from the bot layer next to the
 * English understanding (which it does not change):
 *
 * - `detect(text)`: which language a message is in, when it is clearly not English. The language
 *   detector is franc-min (trigram profiles of 82 languages), not word lists. Short texts confuse
 *   close languages (Spanish, Portuguese, Italian), so when one of the clinic's own languages
 *   scores close to the best, it is taken: the clinic can answer in it. English wins whenever it
 *   scores close to the best, and when most of the words are English words (natural's English
 *   lexicon): on short texts the trigram detector takes a third of English messages for
 *   something else. The brain also asks this only of messages the English understanding could
 *   not read. Measured on the 1,333 English messages of tests/eval: 1 taken for another
 *   language (a line of gibberish).
 * - `redFlags(text)`: clinical signals from the red-flag tables of other languages (Spanish:
 *   knowledge/languages/red-flags.es.yaml, same pattern language and signals as the English
 *   table), read on every message so a Spanish warning sign escalates like an English one even
 *   when the text is too short to tell its language.
 * - `replyKey(code)`: the staff's message in that language when the clinic speaks it, else the
 *   English one (knowledge/messages/other-languages.yaml).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { francAll } from 'franc-min';
import type { Knowledge } from '../knowledge/load.js';
import { ContentError } from '../knowledge/problems.js';
import { loadRedFlagTable } from '../knowledge/clinical-tables.js';
import { englishLexicon } from '../text/typos.js';
import { compileRedFlags, type RedFlagDetector } from '../nlu/red-flags.js';

export const OTHER_LANGUAGE_PREFIX = 'other_language.';
export const OTHER_LANGUAGE_FALLBACK = 'other_language.other';

/** Fewer letters than this and no detector can tell a language. */
const MIN_LETTERS = 12;
const MIN_WORDS = 3;
/** English scoring at least this (relative to the best, 1) counts as English. */
const ENGLISH_CLOSE = 0.85;
/** A clinic language scoring at least this (relative to the best) is taken over the best. */
const CLINIC_CLOSE = 0.85;
/** A message with at least this share of English words is English, whatever the trigrams say. */
const ENGLISH_WORDS_SHARE = 0.6;
/** Codes that mean "English" or "cannot tell". Scots is English to a patient. */
const ENGLISH_LIKE = new Set(['eng', 'sco', 'und']);

export interface DetectedLanguage {
  /** ISO 639-3 code, e.g. "spa". */
  code: string;
  /** The clinic's staff speak it and there is a message in it. */
  spoken: boolean;
}

export interface OtherLanguages {
  detect(text: string): DetectedLanguage | undefined;
  redFlags(text: string): { language: DetectedLanguage; signals: string[] } | undefined;
  replyKey(language: DetectedLanguage): string;
}

interface Table {
  code: string;
  detector: RedFlagDetector;
}

/** Red-flag tables of other languages: knowledge/languages/red-flags.<iso 639-1>.yaml. */
const TABLES: ReadonlyArray<{ file: string; code: string }> = [{ file: 'red-flags.es.yaml', code: 'spa' }];

function englishShare(text: string): number {
  const words = text.toLowerCase().match(/\p{L}+/gu) ?? [];
  if (words.length === 0) return 1;
  const known = englishLexicon();
  return words.filter((w) => known.has(w)).length / words.length;
}

export function createOtherLanguages(knowledge: Knowledge): OtherLanguages {
  const names = new Intl.DisplayNames(['en'], { type: 'language' });
  const clinicLanguages = new Set(knowledge.clinic.languages.map((l) => l.trim().toLowerCase()));
  const spokenCodes = new Set<string>();
  const spoken = (code: string): boolean => {
    if (spokenCodes.has(code)) return true;
    let name: string | undefined;
    try {
      name = names.of(code);
    } catch {
      name = undefined;
    }
    const yes =
      !!name &&
      clinicLanguages.has(name.toLowerCase()) &&
      knowledge.messages.has(OTHER_LANGUAGE_PREFIX + code);
    if (yes) spokenCodes.add(code);
    return yes;
  };

  const tables: Table[] = [];
  for (const { file, code } of TABLES) {
    const full = path.join(knowledge.dir, 'languages', file);
    if (!existsSync(full)) continue;
    const { table, problems } = loadRedFlagTable(full);
    const errors = problems.filter((p) => p.severity !== 'warning');
    if (!table || errors.length > 0) throw new ContentError(errors);
    tables.push({ code, detector: compileRedFlags(table) });
  }

  return {
    detect(text) {
      const letters = text.match(/\p{L}/gu)?.length ?? 0;
      const words = text.split(/\s+/).filter((w) => /\p{L}/u.test(w)).length;
      if (letters < MIN_LETTERS || words < MIN_WORDS) return undefined;
      const ranked = francAll(text, { minLength: MIN_LETTERS });
      const [best] = ranked[0] ?? ['und'];
      if (ENGLISH_LIKE.has(best)) return undefined;
      const score = (code: string) => ranked.find(([c]) => c === code)?.[1] ?? 0;
      if (score('eng') >= ENGLISH_CLOSE || englishShare(text) >= ENGLISH_WORDS_SHARE) return undefined;
      const clinic = ranked.find(([code, s]) => s >= CLINIC_CLOSE && spoken(code));
      const code = clinic?.[0] ?? best;
      return { code, spoken: spoken(code) };
    },
    redFlags(text) {
      for (const { code, detector } of tables) {
        const { signals } = detector.detect(text);
        if (signals.length > 0) return { language: { code, spoken: spoken(code) }, signals };
      }
      return undefined;
    },
    replyKey(language) {
      return language.spoken ? OTHER_LANGUAGE_PREFIX + language.code : OTHER_LANGUAGE_FALLBACK;
    },
  };
}
