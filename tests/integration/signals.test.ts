/**
 * Shutdown however the signal arrives (issue 13, defect 3). Production runs `npm start`, which
 * compiles when the sources changed and then `exec`s `node dist/src/index.js`: no tsx, no extra
 * process in between. Docker sends SIGTERM to npm alone (PID 1); systemd sends it to the whole
 * process group, so node gets it twice (directly, and forwarded by npm).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { REAL_KNOWLEDGE, ROOT } from '../helpers/service.js';

function npmStart(detached: boolean) {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    detached,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      LOG_FORMAT: 'json',
      PORT: '0',
      HOST: '127.0.0.1',
      KNOWLEDGE_DIR: REAL_KNOWLEDGE,
      SHUTDOWN_GRACE_MS: '8000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.resume();
  const lines = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, any>);
  return { child, lines };
}

async function waitFor<T>(check: () => T | undefined, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = await once(child, 'exit');
  return code as number | null;
}

describe('npm start and signals', () => {
  beforeAll(() => {
    // Compile once up front (a fresh clone has no dist/ yet), so each start below is quick.
    const build = spawnSync(process.execPath, ['scripts/ensure-built.mjs'], { cwd: ROOT, stdio: 'inherit' });
    expect(build.status).toBe(0);
  }, 120_000);

  it('when SIGTERM goes to npm alone (npm as PID 1 in Docker), then the node process stops cleanly and none is left serving', async () => {
    const p = npmStart(false);
    const ready = await waitFor(() => p.lines().find((l) => l.msg === 'bot ready'));
    expect((await fetch(`${ready.url}/healthz`)).status).toBe(200);
    p.child.kill('SIGTERM');
    expect(await exited(p.child)).toBe(0);
    await waitFor(() => (alive(ready.pid) ? undefined : true), 10_000);
    expect(p.lines().some((l) => l.msg === 'stopped')).toBe(true);
    await expect(fetch(`${ready.url}/healthz`)).rejects.toThrow();
  }, 60_000);

  it('when SIGTERM goes to the whole process group (systemd) during a turn, then the turn finishes and the process exits 0', async () => {
    // A channel that takes 1.5 s to accept the reply keeps the turn in flight.
    let received = 0;
    const channel = http.createServer((req, res) => {
      req.resume();
      received++;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"1"}');
      }, 1500);
    });
    channel.listen(0, '127.0.0.1');
    await once(channel, 'listening');
    const { port } = channel.address() as { port: number };
    const p = npmStart(true);
    try {
      const ready = await waitFor(() => p.lines().find((l) => l.msg === 'bot ready'));
      const turn = fetch(`${ready.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'message',
          id: 'sig-1',
          text: 'hello',
          channelId: 'emulator',
          serviceUrl: `http://127.0.0.1:${port}`,
          from: { id: 'user-1' },
          recipient: { id: 'bot' },
          conversation: { id: 'sig-conv' },
        }),
      });
      await waitFor(() => (received > 0 ? true : undefined));
      process.kill(-p.child.pid!, 'SIGTERM');
      const res = await turn;
      expect(res.status).toBe(200);
      expect(await exited(p.child)).toBe(0);
      expect(alive(ready.pid)).toBe(false);
      const messages = p.lines().map((l) => l.msg);
      expect(
        messages.filter((m) => m === 'shutting down: no new requests, finishing turns in flight'),
      ).toHaveLength(1);
      expect(messages).toContain('stopped');
    } finally {
      if (p.child.exitCode === null) process.kill(-p.child.pid!, 'SIGKILL');
      await new Promise((r) => channel.close(() => r(undefined)));
    }
  }, 60_000);
});
