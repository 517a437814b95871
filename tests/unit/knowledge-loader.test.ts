import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKnowledge } from '../../src/knowledge/load.js';
import { readingLevel } from '../../src/knowledge/readability.js';
import { formatHours, isClinicOpen, renderReply, renderText } from '../../src/knowledge/render.js';
import { REAL_KNOWLEDGE } from '../helpers/service.js';
import { contentRequirements } from '../../src/knowledge/requirements.js';

let dir: string;
const file = (rel: string) => path.join(dir, rel);
const edit = (rel: string, change: (s: string) => string) =>
  writeFileSync(file(rel), change(readFileSync(file(rel), 'utf8')));
const load = (extraKeys: string[] = []) =>
  loadKnowledge(dir, {
    ...contentRequirements(),
    requiredKeys: [...(contentRequirements().requiredKeys ?? []), ...extraKeys],
  });
const errors = (r: ReturnType<typeof load>) => r.problems.filter((p) => p.severity !== 'warning');

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kb-'));
  cpSync(REAL_KNOWLEDGE, dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the knowledge loader', () => {
  it('when the content is valid, then it loads with no errors', () => {
    const result = load(['system.error']);
    expect(errors(result)).toEqual([]);
    expect(result.knowledge?.topics.get('sciatica')?.sections.more).toBeTruthy();
  });

  it('when several things are wrong, then every problem is reported at once with the file, the entry and a fix', () => {
    const copy = readFileSync(file('topics/conditions/sciatica.md'), 'utf8');
    writeFileSync(file('topics/second.md'), copy); // duplicate id, id differs from file name, duplicate examples
    edit('topics/conditions/sciatica.md', (s) =>
      s.replace(/^related:.*$/m, 'related: [no-such-entry]').replace(/^title:.*\n/m, ''),
    );
    edit('messages/system.yaml', (s) =>
      s.replace('format.and: and', 'format.and: and {clinic.fax} {whatever}'),
    );
    edit('clinic.yaml', (s) => s.replace(/^bookingUrl:.*$/m, 'bookingUrl: not a link'));
    const result = load(['triage.ask_something_new']);
    const all = errors(result);
    const text = all.map((p) => `${p.file} ${p.entry ?? ''} ${p.message}`).join('\n');
    expect(text).toMatch(/clinic\.yaml.*bookingUrl/);
    expect(text).toMatch(/topics\/conditions\/sciatica\.md.*title.*missing/);
    expect(text).toMatch(/topics\/second\.md.*differs from the file name/);
    expect(text).toMatch(/unknown placeholder \{clinic\.fax\}/);
    expect(text).toMatch(/unknown placeholder \{whatever\}/);
    expect(text).toMatch(/triage\.ask_something_new/);
    for (const p of all) expect(p.fix.length).toBeGreaterThan(5);
    expect(result.knowledge).toBeUndefined();
  });

  it('when an entry links to an entry that does not exist, then that is an error naming the link', () => {
    edit('topics/conditions/sciatica.md', (s) => s.replace(/^related:.*$/m, 'related: [nowhere]'));
    expect(
      errors(load())
        .map((p) => p.message)
        .join(),
    ).toContain('"nowhere"');
  });

  it('when two entries share an id, then that is an error', () => {
    cpSync(file('topics/conditions/sciatica.md'), file('topics/more/sciatica.md'));
    edit('topics/more/sciatica.md', (s) =>
      s.replace(/examples:[\s\S]*?keywords/, 'examples: [a1, a2, a3, a4, a5, a6, a7, a8]\nkeywords'),
    );
    const messages = errors(load())
      .map((p) => p.message)
      .join('\n');
    expect(messages).toMatch(/already used by/);
  });

  it('when an example question is listed under two entries, then that is an error', () => {
    cpSync(file('topics/conditions/sciatica.md'), path.join(dir, 'topics', 'other.md'));
    edit('topics/other.md', (s) => s.replace('id: sciatica', 'id: other'));
    expect(errors(load()).some((p) => /also listed under entry "(sciatica|other)"/.test(p.message))).toBe(
      true,
    );
  });

  it('when a file is not valid YAML, then the error names the line', () => {
    writeFileSync(file('clinic.yaml'), 'format: 1\nname: [unclosed\n');
    const problem = errors(load()).find((p) => p.file === 'clinic.yaml');
    expect(problem?.message).toMatch(/not valid YAML at line \d+/);
  });

  it('when a section heading is not one the bot knows, then the error lists the allowed headings', () => {
    edit('topics/conditions/sciatica.md', (s) => s.replace('## More', '## Extra stuff'));
    const problem = errors(load()).find((p) => p.message.includes('Extra stuff'));
    expect(problem?.fix).toContain('## More');
  });

  it('when an answer is written in long words and long sentences, then it is reported above the reading level', () => {
    const hard =
      'Radiculopathy characteristically manifests as electrical, lancinating discomfort radiating along dermatomal distributions, frequently accompanied by paraesthesia, diminished reflexes and considerable functional impairment affecting occupational participation.';
    edit('topics/conditions/sciatica.md', (s) =>
      s.replace(/^(---\n[\s\S]*?\n---\n)[\s\S]*?(\n## )/, `$1${hard}\n$2`),
    );
    const result = load();
    expect(result.problems.some((p) => p.entry === 'sciatica' && /reads at grade/.test(p.message))).toBe(
      true,
    );
  });
});

describe('reading level', () => {
  it('when text is short and plain, then its grade is low; when it is dense, then it is high', () => {
    expect(readingLevel('The cat sat on the mat. It was warm. The sun was out.').grade).toBeLessThan(3);
    expect(
      readingLevel(
        'Comprehensive multidisciplinary rehabilitation necessitates individualised physiotherapeutic intervention.',
      ).grade,
    ).toBeGreaterThan(14);
  });
});

describe('rendering', () => {
  it('when a message uses clinic placeholders and slots, then they are filled from the clinic profile', () => {
    const k = load().knowledge!;
    expect(renderText(k, 'system.error')).toContain(k.clinic.phone);
    edit('messages/system.yaml', (s) => s.replace('format.and: and', 'format.and: and {count}'));
    expect(renderText(load().knowledge!, 'format.and', { count: 3 })).toBe('and 3');
  });

  it('when opening hours are rendered, then days with the same hours are grouped and closed days say so', () => {
    edit('clinic.yaml', (s) =>
      s
        .replace(/^(\s+)(monday|tuesday|wednesday|thursday): .*$/gm, '$1$2: "08:00-18:00"')
        .replace(/^(\s+)friday: .*$/m, '$1friday: "08:00-17:00"')
        .replace(/^(\s+)sunday: .*$/m, '$1sunday: closed'),
    );
    const k = load().knowledge!;
    const hours = formatHours(k.clinic, k);
    expect(hours).toContain('Monday to Thursday: 08:00 to 18:00');
    expect(hours).toContain('Sunday: closed');
  });

  it('when a reply answers an entry with a section, then that section is rendered, and related choices carry titles', () => {
    const k = load().knowledge!;
    const r = renderReply(k, {
      key: 'kb.answer',
      slots: { entry: 'sciatica', section: 'more' },
      choices: [
        { payload: 'topic:sciatica', labelKey: 'kb.title.sciatica' },
        { payload: 'open:booking', labelKey: 'format.to' },
      ],
    });
    expect(r.text).toBe(k.topics.get('sciatica')!.sections.more);
    expect(r.choices[0]).toEqual({ label: k.topics.get('sciatica')!.title, payload: 'topic:sciatica' });
    expect(r.choices[1]!.url).toBe(k.clinic.bookingUrl);
  });

  it('when the time is inside or outside opening hours, then the clinic is open or closed in its own time zone', () => {
    edit('clinic.yaml', (s) =>
      s
        .replace(/^(\s+)monday: .*$/m, '$1monday: "08:00-18:00"')
        .replace(/^(\s+)sunday: .*$/m, '$1sunday: closed')
        .replace(/^timezone: .*$/m, 'timezone: Europe/London'),
    );
    const k = load().knowledge!;
    expect(isClinicOpen(k.clinic, new Date('2026-11-23T10:00:00Z'))).toBe(true); // Monday 10:00 London
    expect(isClinicOpen(k.clinic, new Date('2026-11-23T19:00:00Z'))).toBe(false);
    expect(isClinicOpen(k.clinic, new Date('2026-11-22T10:00:00Z'))).toBe(false); // Sunday
  });
});
