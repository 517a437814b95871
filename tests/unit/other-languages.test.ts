/**
 * Other languages: the Spanish red-flag table's own examples (every `fires` sets its signal, no
 * `does_not_fire` does), and the language detector's verdicts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOtherLanguages } from '../../src/bot/other-languages.js';
import { loadKnowledgeOrThrow } from '../../src/knowledge/load.js';
import { contentRequirements } from '../../src/knowledge/requirements.js';
import { loadRedFlagTable } from '../../src/knowledge/clinical-tables.js';
import { compileRedFlags } from '../../src/nlu/red-flags.js';
import { REAL_KNOWLEDGE } from '../helpers/service.js';

const knowledge = loadKnowledgeOrThrow(REAL_KNOWLEDGE, contentRequirements());
const languages = createOtherLanguages(knowledge);

describe('the Spanish red-flag table', () => {
  const { table, problems } = loadRedFlagTable(path.join(REAL_KNOWLEDGE, 'languages', 'red-flags.es.yaml'));

  it('when it is loaded, then it has no problems', () => {
    expect(problems.filter((p) => p.severity !== 'warning')).toEqual([]);
    expect(table).toBeDefined();
  });

  const detector = compileRedFlags(table!);
  for (const rule of table!.rules) {
    it(`when a "${rule.id}" example is read, then it fires or not as written`, () => {
      for (const text of rule.fires) expect(detector.detect(text).signals, text).toContain(rule.signal);
      for (const text of rule.does_not_fire)
        expect(detector.detect(text).signals, text).not.toContain(rule.signal);
    });
  }

  it('when an English message is read, then the Spanish table finds nothing', () => {
    for (const text of [
      'I wet myself and my back is agony',
      'no numbness down there',
      'my legs are both fine',
    ]) {
      expect(languages.redFlags(text)).toBeUndefined();
    }
  });
});

describe('detecting the language of a message', () => {
  it.each([
    ['spa', 'Me duele mucho la espalda y la pierna derecha'],
    ['pol', 'Mam ból pleców od tygodnia i nie mogę spać'],
    ['urd', 'میری کمر میں درد ہے اور ٹانگ میں بھی درد ہوتا ہے'],
    ['pan', 'ਮੇਰੀ ਕਮਰ ਵਿੱਚ ਬਹੁਤ ਦਰਦ ਹੈ ਅਤੇ ਲੱਤ ਵਿੱਚ ਵੀ'],
  ])(
    'when a message is in a clinic language (%s), then it is detected and the clinic speaks it',
    (code, text) => {
      expect(languages.detect(text)).toEqual({ code, spoken: true });
      expect(languages.replyKey(languages.detect(text)!)).toBe(`other_language.${code}`);
    },
  );

  it('when a message is in another language, then the reply is the English one', () => {
    const found = languages.detect('Ich habe seit zwei Wochen Rückenschmerzen');
    expect(found?.spoken).toBe(false);
    expect(languages.replyKey(found!)).toBe('other_language.other');
  });

  // (The brain asks only about messages the English understanding could not read, so a
  // borderline one such as "whats ur phone number", which the front-desk answer catches first,
  // never gets here.)
  it('when a message is English, short or undecidable, then no other language is reported', () => {
    for (const text of ['facet joint pain??', 'hola', 'tennis elbow treatment', 'cancel my appt pls'])
      expect(languages.detect(text), text).toBeUndefined();
  });
});
