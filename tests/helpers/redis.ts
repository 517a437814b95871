/**
 * A real `redis-server` for tests: started on a free loopback port in its own temporary
 * directory, stopped and started again on the same port and data when a test needs an outage.
 *
 * Where `redis-server` is not on PATH the Redis tests are reported as skipped, with the reason in
 * their name; under CI (`CI` set) a missing server is an error, because CI must not skip them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Path of redis-server, or undefined when it is not installed. */
export function findRedisServer(): string | undefined {
  const fromEnv = process.env.REDIS_SERVER_BIN;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'redis-server');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const REDIS_SERVER = findRedisServer();
const MISSING =
  'redis-server is not on PATH (install it with `apt-get install -y redis-server`, or set REDIS_SERVER_BIN)';

/**
 * Whether the Redis tests can run, and a suffix for the suite name that says why they are skipped.
 * Throws under CI when redis-server is missing.
 */
export function redisAvailability(): { available: boolean; note: string } {
  if (REDIS_SERVER) return { available: true, note: '' };
  if (process.env.CI) throw new Error(`${MISSING}. CI must run the Redis tests, not skip them.`);
  return { available: false, note: ` [SKIPPED: ${MISSING}]` };
}

export interface RedisOptions {
  /** Keep data across stop()/start() (append-only file, fsync on every write). */
  persistent?: boolean;
}

export interface TestRedis {
  url: string;
  port: number;
  /** Stop the server (SIGTERM) and wait until it has exited. */
  stop(): Promise<void>;
  /** Start it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stop it for good and remove its directory. */
  close(): Promise<void>;
}

export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error(MISSING);
  const bin = REDIS_SERVER;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'clinicbot-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;

  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const launch = async (): Promise<void> => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
      '--loglevel',
      'notice',
      ...(options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ];
    const proc = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk.toString('utf8'));
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      const check = () => {
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      proc.stdout?.on('data', check);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!ready) {
      proc.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}:\n${output.slice(-2000)}`);
    }
    // Keep draining its output so the pipe never fills.
    proc.stdout?.removeAllListeners('data');
    proc.stdout?.resume();
    child = proc;
  };

  // A free port from the OS; another process may take it before redis-server binds, so retry.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start: async () => {
      if (child) return;
      // The port was ours a moment ago; redis-server sets SO_REUSEADDR, so it can bind it again.
      let lastError: unknown;
      for (let attempt = 1; attempt <= 20; attempt++) {
        try {
          await launch();
          return;
        } catch (error) {
          lastError = error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw lastError;
    },
    close: async () => {
      await stop();
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
