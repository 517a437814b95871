/**
 * Content reload: an edit to knowledge/ is picked up on reload (SIGHUP in production); an edit
 * that fails validation is refused, the last good content keeps serving, and the log says why.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_KNOWLEDGE, ROOT, startService, type Running } from '../helpers/service.js';
import { lastReplyKeys, say, waitFor } from './ops-helpers.js';

function copyKnowledge(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'clinicbot-kb-'));
  cpSync(REAL_KNOWLEDGE, dir, { recursive: true });
  return dir;
}

/** Replace one message's text in messages/dialog.yaml (a marker only this test writes). */
function setGreeting(dir: string, text: string): void {
  const file = path.join(dir, 'messages/dialog.yaml');
  const yaml = readFileSync(file, 'utf8').replace(
    /^ {2}dialog\.greeting: .*$/m,
    `  dialog.greeting: ${text}`,
  );
  writeFileSync(file, yaml);
}

describe('content reload (in process)', () => {
  let dir: string;
  let app: Running;

  beforeAll(async () => {
    dir = copyKnowledge();
    app = await startService({ KNOWLEDGE_DIR: dir, AUDIT_SINK: 'off' });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const greet = async (id: string) => {
    await say(app, id, 'hi');
    const replies = await say(app, id, 'hello');
    expect(lastReplyKeys(app, id)).toEqual(['dialog.greeting']);
    return replies.join(' ');
  };

  it('when a good edit is reloaded, then the new content is served', async () => {
    setGreeting(dir, 'Reloaded greeting marker one.');
    expect(app.service.reloadKnowledge()).toEqual({ ok: true, problems: [] });
    expect(await greet('c-reload-1')).toContain('marker one');
  });

  it('when a bad edit is reloaded, then it is refused, the last good content keeps serving, and the log says why', async () => {
    setGreeting(dir, 'Reloaded greeting marker two.');
    // A broken file next to the good edit: the whole reload is refused.
    writeFileSync(
      path.join(dir, 'clinic.yaml'),
      readFileSync(path.join(dir, 'clinic.yaml'), 'utf8').replace(/^phone: .*$/m, ''),
    );
    const result = app.service.reloadKnowledge();
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toContain('clinic.yaml');
    expect(await greet('c-reload-2')).toContain('marker one');
    const rejected = app.logs.records().find((r) => String(r.msg).includes('content reload rejected'));
    expect(rejected).toMatchObject({ code: 'CONTENT_INVALID' });
    expect(JSON.stringify(rejected)).toContain('clinic.yaml');
  });
});

describe('content reload (SIGHUP to the real process)', () => {
  it('when the process gets SIGHUP after a bad edit, then it keeps running and logs why; after the fix, it reloads', async () => {
    const dir = copyKnowledge();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        LOG_FORMAT: 'json',
        PORT: '0',
        HOST: '127.0.0.1',
        KNOWLEDGE_DIR: dir,
        AUDIT_SINK: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    try {
      await waitFor(() => out.includes('bot ready'), 60_000);
      const clinic = path.join(dir, 'clinic.yaml');
      const good = readFileSync(clinic, 'utf8');
      writeFileSync(clinic, good.replace(/^timezone: .*$/m, 'timezone: Mars/Olympus'));
      child.kill('SIGHUP');
      await waitFor(() => out.includes('content reload rejected'), 30_000);
      expect(child.exitCode).toBeNull();
      writeFileSync(clinic, good);
      child.kill('SIGHUP');
      await waitFor(() => out.includes('"content reloaded"'), 30_000);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
