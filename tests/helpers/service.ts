import { once } from 'node:events';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseConfig } from '../../src/config.js';
import { buildService, listen, type BuildOptions, type Service } from '../../src/index.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const REAL_KNOWLEDGE = path.join(ROOT, 'knowledge');

/** Collects log lines so tests can check what was (and was not) logged. */
export class LogSink extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface Running {
  service: Service;
  url: string;
  logs: LogSink;
  close(): Promise<void>;
}

export async function startService(
  env: Record<string, string> = {},
  options: BuildOptions = {},
): Promise<Running> {
  const logs = new LogSink();
  const config = parseConfig(
    {
      KNOWLEDGE_DIR: REAL_KNOWLEDGE,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      NODE_ENV: 'test',
      // Audit events of tests that do not ask for a folder go to a temporary one, not the repository.
      AUDIT_DIR: path.join(os.tmpdir(), `clinicbot-test-audit-${process.pid}`),
      ...env,
    },
    ROOT,
  );
  const service = await buildService(config, { logDestination: logs, ...options });
  const url = await listen(service);
  return { service, url, logs, close: () => service.stop() };
}

/** A response's text and, when it is JSON, the parsed body (undefined otherwise). */
export async function readBody(res: Response): Promise<{ text: string; json: any }> {
  const text = await res.text();
  try {
    return { text, json: text ? JSON.parse(text) : undefined };
  } catch {
    return { text, json: undefined };
  }
}

let counter = 0;
export function messageActivity(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    type: 'message',
    id: `act-${counter}`,
    text,
    channelId: 'emulator',
    serviceUrl: 'http://127.0.0.1:1',
    from: { id: 'user-1', name: 'Patient' },
    recipient: { id: 'bot-1', name: 'Bot' },
    conversation: { id: `conv-${process.pid}` },
    deliveryMode: 'expectReplies',
    ...extra,
  };
}

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const { text, json } = await readBody(res);
  return { status: res.status, json, text };
}

/** A stand-in for the channel's serviceUrl that records what the bot sends. */
export async function startChannelStub(): Promise<{
  url: string;
  received: Array<{ path: string; body: any }>;
  close(): Promise<void>;
}> {
  const received: Array<{ path: string; body: any }> = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: data ? JSON.parse(data) : undefined });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `sent-${received.length}` }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
