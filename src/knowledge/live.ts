/**
 * Content that can be replaced while the bot runs (SIGHUP): one Knowledge object whose fields always
 * read the current version, so every part of the bot that was handed it at start-up sees a reload.
 * A reload that fails validation changes nothing: the last good version keeps serving.
 */
import type { Knowledge } from './load.js';

const FIELDS = [
  'dir',
  'clinic',
  'topics',
  'messages',
  'intents',
  'outOfScope',
  'language',
  'redFlags',
  'triage',
] as const satisfies ReadonlyArray<keyof Knowledge>;

/** A Knowledge whose every field reads `current()` at the moment of use. */
export function liveKnowledge(current: () => Knowledge): Knowledge {
  const view = {} as Knowledge;
  for (const field of FIELDS) {
    Object.defineProperty(view, field, { enumerable: true, get: () => current()[field] });
  }
  return Object.freeze(view);
}
