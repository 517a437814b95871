import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REAL_KNOWLEDGE, ROOT } from '../helpers/service.js';

const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function run(env: Record<string, string>) {
  const child = spawn(TSX, ['src/index.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  return { child, out: () => stdout, err: () => stderr };
}

async function waitFor(check: () => boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the process', () => {
  it('when the configuration is invalid, then it lists every problem in plain words and exits non-zero', async () => {
    const p = run({ PORT: 'abc', LOG_LEVEL: 'chatty', KNOWLEDGE_DIR: REAL_KNOWLEDGE });
    const [code] = await once(p.child, 'exit');
    expect(code).not.toBe(0);
    expect(p.err()).toContain('PORT');
    expect(p.err()).toContain('LOG_LEVEL');
    expect(p.err()).not.toMatch(/at .*\.ts:\d+/);
  });

  it('when the content is invalid, then it refuses to start and names the problem', async () => {
    const p = run({ PORT: '0', KNOWLEDGE_DIR: path.join(ROOT, 'tests/fixtures/does-not-exist') });
    const [code] = await once(p.child, 'exit');
    expect(code).not.toBe(0);
    expect(p.err()).toContain('clinic.yaml');
  });

  it('when it starts on embedded defaults and gets SIGTERM, then it becomes ready, answers, and stops cleanly', async () => {
    const p = run({ PORT: '0', HOST: '127.0.0.1', KNOWLEDGE_DIR: REAL_KNOWLEDGE });
    await waitFor(() => p.out().includes('bot ready'));
    const ready = JSON.parse(
      p
        .out()
        .split('\n')
        .find((l) => l.includes('bot ready'))!,
    ) as { url: string };
    const health = await fetch(`${ready.url}/healthz`);
    expect(health.status).toBe(200);
    p.child.kill('SIGTERM');
    const [code] = await once(p.child, 'exit');
    expect(code).toBe(0);
    expect(p.out()).toContain('stopped');
  });
});
