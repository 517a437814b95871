/**
 * npm run chat: clinic staff can run a whole symptom check in the terminal, through the same
 * adapter and state path as any channel.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKnowledgeOrThrow } from '../../src/knowledge/load.js';
import { renderText } from '../../src/knowledge/render.js';
import { contentRequirements } from '../../src/knowledge/requirements.js';
import { REAL_KNOWLEDGE, ROOT } from '../helpers/service.js';

const first = (text: string) => text.split('\n')[0]!.trim();

describe('the terminal chat', () => {
  it('when a member of staff types a whole symptom check, then it ends with the self-care disposition', async () => {
    const knowledge = loadKnowledgeOrThrow(REAL_KNOWLEDGE, contentRequirements());
    const lines = [
      'hi',
      'check my symptoms',
      'none of these',
      'no',
      'my left buttock',
      'about 10 days',
      '3',
      'sitting',
      '35',
      'better',
      '/quit',
    ];
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/chat.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        MODEL_CACHE_DIR: 'off',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stdin.end(`${lines.join('\n')}\n`);
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toContain(first(renderText(knowledge, 'welcome.intro')));
    expect(out).toContain(first(renderText(knowledge, 'triage.ask_emergency')));
    expect(out).toContain(first(renderText(knowledge, 'triage.ask_urgent')));
    // The advice is one answer whose first line is the card's headline, in plain text here.
    expect(out).toContain(first(renderText(knowledge, 'card.headline.self_care')));
  }, 60_000);
});
