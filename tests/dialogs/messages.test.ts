/** The wording of the dialog's keys (knowledge/messages/dialog.yaml and triage.yaml). */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DIALOG_MESSAGE_KEYS } from '../../dialogs/conversation.machine.js';
import { QUESTIONS, askKey, retryKey } from '../../dialogs/questions.js';
import { readingLevel } from '../../src/knowledge/readability.js';

const DIR = new URL('../../knowledge/messages/', import.meta.url);
const OURS = ['dialog.yaml', 'triage.yaml'];
const CLINIC_FIELDS = [
  'name',
  'phone',
  'emergencyNumber',
  'urgentLine',
  'hours',
  'bookingUrl',
  'cancellationNotice',
  'website',
];

function load(file: string): { format: number; messages: Record<string, string> } {
  return parse(readFileSync(new URL(file, DIR), 'utf8')) as {
    format: number;
    messages: Record<string, string>;
  };
}

const ours = new Map<string, { file: string; text: string }>();
for (const file of OURS) {
  const data = load(file);
  for (const [key, text] of Object.entries(data.messages)) {
    if (ours.has(key)) throw new Error(`${key} is defined twice`);
    ours.set(key, { file, text });
  }
}

describe('dialog messages', () => {
  it('when the files are read, then both carry format 1', () => {
    for (const file of OURS) expect(load(file).format, file).toBe(1);
  });

  it('when the machine can say a key, then it has wording', () => {
    const missing = DIALOG_MESSAGE_KEYS.filter((k) => !ours.has(k));
    expect(missing).toEqual([]);
  });

  it('when a key has wording here, then the machine can say it, and no reason.* key is written here', () => {
    // kb.qualifier.<name> replies belong to the qualifiers listed in knowledge/language.yaml.
    const language = parse(readFileSync(new URL('../language.yaml', DIR), 'utf8')) as {
      qualifiers?: Record<string, unknown>;
    };
    const qualifierKeys = Object.keys(language.qualifiers ?? {}).map((q) => `kb.qualifier.${q}`);
    const stale = [...ours.keys()].filter(
      (k) => !DIALOG_MESSAGE_KEYS.includes(k) && !qualifierKeys.includes(k),
    );
    expect(stale).toEqual([]);
    expect([...ours.keys()].filter((k) => k.startsWith('reason.'))).toEqual([]);
  });

  it('when all message files are read, then no key here is defined again elsewhere', () => {
    for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yaml') && !OURS.includes(f))) {
      const clash = Object.keys(load(file).messages ?? {}).filter((k) => ours.has(k));
      expect(clash, file).toEqual([]);
    }
  });

  it('when a message has placeholders, then they are clinic facts only (no runtime slots but when the clinic opens)', () => {
    // The call back says when the clinic opens next: the host works it out from the hours at `now`.
    const opening: Record<string, string[]> = {
      'handoff.closed_now': ['day', 'time'],
      'handoff.callback_closed': ['day', 'time'],
    };
    for (const [key, { text }] of ours) {
      for (const [, name] of text.matchAll(/\{([^{}]*)\}/g)) {
        expect(
          (name!.startsWith('clinic.') && CLINIC_FIELDS.includes(name!.slice(7))) ||
            (opening[key]?.includes(name!) ?? false),
          `${key}: {${name}}`,
        ).toBe(true);
      }
    }
  });

  it('when a message is not a button label, then it reads at about age 12 (grade 8 or below)', () => {
    for (const [key, { text }] of ours) {
      if (/^(choice|option)\./.test(key)) continue;
      expect(readingLevel(text).grade, key).toBeLessThanOrEqual(8);
    }
  });

  it('when a question is asked again, then the retry says it in other words', () => {
    for (const q of QUESTIONS) {
      expect(ours.get(retryKey(q.id))?.text, q.id).not.toEqual(ours.get(askKey(q.id))?.text);
    }
  });

  it('when emergency advice is given, then it names the emergency number', () => {
    for (const key of [
      'welcome.emergency',
      'escalate.emergency',
      'disposition.emergency',
      'safety.emergency_signs',
      'triage.after_emergency',
    ]) {
      expect(ours.get(key)?.text, key).toContain('{clinic.emergencyNumber}');
    }
    for (const key of ['escalate.urgent', 'disposition.urgent'])
      expect(ours.get(key)?.text, key).toContain('{clinic.urgentLine}');
    expect(ours.get('booking.cancel')?.text).toContain('{clinic.cancellationNotice}');
  });
});
