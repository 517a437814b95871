/**
 * kb:check's YAML errors for staff: plain words, the line, and a fix that names only what staff
 * may write. Runs the loader (what kb:check and the server use) on a copy of the real knowledge/.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLINIC_PLACEHOLDERS, loadKnowledge } from '../../src/knowledge/load.js';
import { contentRequirements, REVIEW_NOTICE_KEY } from '../../src/knowledge/requirements.js';
import { RUNTIME_SLOTS } from '../../src/knowledge/render.js';
import { REAL_KNOWLEDGE } from '../helpers/service.js';

let dir: string;
const file = (rel: string) => path.join(dir, rel);
const edit = (rel: string, change: (s: string) => string) =>
  writeFileSync(file(rel), change(readFileSync(file(rel), 'utf8')));
const problems = () =>
  loadKnowledge(dir, contentRequirements()).problems.filter((p) => p.severity !== 'warning');
const lineOf = (rel: string, prefix: string) =>
  readFileSync(file(rel), 'utf8')
    .split('\n')
    .findIndex((l) => l.startsWith(prefix)) + 1;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kb-errors-'));
  cpSync(REAL_KNOWLEDGE, dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('kb:check errors for staff', () => {
  it('when a phone number is not in quotes and YAML reads it as a number, then it says so with the line and the quoting fix', () => {
    edit('clinic.yaml', (s) => s.replace(/^phone: .*$/m, 'phone: 02079460321'));
    const [p, ...rest] = problems();
    expect(rest).toEqual([]);
    expect(p!.file).toBe('clinic.yaml');
    expect(p!.message).not.toContain('missing');
    expect(p!.message).toContain('number');
    expect(p!.message).toContain(`line ${lineOf('clinic.yaml', 'phone:')}`);
    expect(p!.fix).toMatch(/phone: "/);
  });

  it('when a value has a colon in it, then the line is named and quoting is the fix', () => {
    edit('clinic.yaml', (s) =>
      s.replace(/^cancellationNotice: .*$/m, 'cancellationNotice: notice: 24 hours'),
    );
    const p = problems().find((x) => x.file === 'clinic.yaml')!;
    expect(p.message).toContain(`line ${lineOf('clinic.yaml', 'cancellationNotice:')}`);
    expect(p.message).toContain('cancellationNotice: notice: 24 hours');
    expect(p.fix).toContain('double quotes');
  });

  it('when a shared word in language.yaml is two words as the bot reads it, then the line and the one-word rule are named', () => {
    edit('language.yaml', (s) => s.replace(/^ {2}negators: \[not, /m, '  negators: ["don\'t", not, '));
    const [p, ...rest] = problems();
    expect(rest).toEqual([]);
    expect(p!.file).toBe('language.yaml');
    expect(p!.message).toContain(`line ${lineOf('language.yaml', '  negators:')}`);
    expect(p!.message).toContain('one word');
  });

  it('when the shared words block of language.yaml is deleted, then it says missing and how to add it', () => {
    edit('language.yaml', (s) => s.replace(/^words:\n(?: .*\n)*/m, ''));
    const p = problems().find((x) => x.file === 'language.yaml')!;
    expect(p.message).toContain('missing');
    expect(p.fix).toContain('words:');
  });

  it('when a field is really missing, then it says missing and how to add it', () => {
    edit('clinic.yaml', (s) => s.replace(/^email: .*\n/m, ''));
    const p = problems().find((x) => x.message.includes('"email"'))!;
    expect(p.message).toContain('missing');
    expect(p.fix).toContain('email:');
  });

  it('when a message uses a placeholder that does not exist, then the fix lists only the clinic placeholders', () => {
    edit('messages/dialog.yaml', (s) =>
      s.replace(/^ {2}dialog\.greeting: .*$/m, '  dialog.greeting: Hello {nmae}!'),
    );
    const p = problems().find((x) => x.entry === 'dialog.greeting')!;
    expect(p.message).toContain('{nmae}');
    for (const field of CLINIC_PLACEHOLDERS) expect(p.fix).toContain(`{clinic.${field}}`);
    for (const slot of RUNTIME_SLOTS) expect(p.fix).not.toContain(`{${slot}}`);
  });

  it('when the review notice is deleted, then kb:check asks for it (the welcome uses it while the review loop is on)', () => {
    edit('messages/system.yaml', (s) =>
      s.replace(/^ {2}welcome\.privacy_review:[\s\S]*?(?=^ {2}\S|(?![\s\S]))/m, ''),
    );
    expect(problems().some((p) => p.entry === REVIEW_NOTICE_KEY)).toBe(true);
  });
});
