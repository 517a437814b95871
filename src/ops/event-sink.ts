/**
 * A durable place for operational events: the audit trail of triage decisions and, when switched
 * on, the review loop's unanswered questions. Two streams in one sink:
 *
 * - **file** (default): append-only JSON lines, `<dir>/audit.jsonl` and `<dir>/review.jsonl`.
 *   Audit lines are only ever appended. Review lines expire: `purge()` rewrites the review file
 *   without the expired lines (write to a temporary file, then rename, so a crash leaves either
 *   the old file or the new one).
 * - **redis** (when REDIS_URL is set): the streams `clinicbot:audit` and `clinicbot:review`
 *   (XADD), so every replica writes to one place. Audit entries are never trimmed; review entries
 *   past their retention are deleted by `purge()` and the stream is capped in length.
 *
 * Events carry ids, codes and times; the review stream carries redacted text and nothing else a
 * person typed. Writes are queued and never throw into a turn: a failure is reported to `onError`.
 */
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';

export type StreamName = 'audit' | 'review';

/** Every event has a type and the time it happened (ms since the epoch). */
export interface SinkEvent {
  type: string;
  at: number;
  [field: string]: unknown;
}

export interface EventSink {
  readonly kind: 'file' | 'redis';
  /** Queue one event; resolves when it is written (or failed: see onError). Never rejects. */
  append(stream: StreamName, event: SinkEvent): Promise<void>;
  /** Events with `at >= sinceMs`, oldest first. */
  read(stream: StreamName, sinceMs: number): Promise<SinkEvent[]>;
  /** Delete events older than `beforeMs` (the review stream only); returns how many went. */
  purge(stream: 'review', beforeMs: number): Promise<number>;
  /** Resolves when every queued write is done. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface SinkOptions {
  onError?: (stream: StreamName, error: unknown) => void;
}

function parseLine(line: string): SinkEvent | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as SinkEvent).at === 'number')
      return value as SinkEvent;
  } catch {
    // A torn last line (the process died mid-write) is skipped, not fatal.
  }
  return undefined;
}

export function createFileSink(dir: string, options: SinkOptions = {}): EventSink {
  const file = (stream: StreamName) => path.join(dir, `${stream}.jsonl`);
  let queue: Promise<unknown> = mkdir(dir, { recursive: true });
  // One queue for writes and purges, so a purge never loses an event appended while it runs.
  const enqueue = <T>(op: () => Promise<T>): Promise<T> => {
    const next = queue.then(op, op);
    queue = next.catch(() => undefined);
    return next;
  };
  const readAll = async (stream: StreamName): Promise<SinkEvent[]> => {
    let raw: string;
    try {
      raw = await readFile(file(stream), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return raw
      .split('\n')
      .filter(Boolean)
      .map(parseLine)
      .filter((e): e is SinkEvent => e !== undefined);
  };
  return {
    kind: 'file',
    append(stream, event) {
      return enqueue(() => appendFile(file(stream), `${JSON.stringify(event)}\n`, { mode: 0o600 })).catch(
        (error: unknown) => options.onError?.(stream, error),
      );
    },
    async read(stream, sinceMs) {
      await queue;
      return (await readAll(stream)).filter((e) => e.at >= sinceMs);
    },
    purge(stream, beforeMs) {
      return enqueue(async () => {
        const all = await readAll(stream);
        const keep = all.filter((e) => e.at >= beforeMs);
        if (keep.length === all.length) return 0;
        const tmp = `${file(stream)}.${process.pid}.tmp`;
        await writeFile(tmp, keep.map((e) => `${JSON.stringify(e)}\n`).join(''), { mode: 0o600 });
        await rename(tmp, file(stream));
        return all.length - keep.length;
      });
    },
    async flush() {
      await queue;
    },
    async close() {
      await queue;
    },
  };
}

export const STREAM_KEYS: Record<StreamName, string> = {
  audit: 'clinicbot:audit',
  review: 'clinicbot:review',
};

/** Review entries kept at most, whatever their age (the stream is trimmed approximately). */
const REVIEW_MAX_LENGTH = 100_000;

export function createRedisSink(url: string, options: SinkOptions = {}): EventSink {
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 2,
    commandTimeout: 2000,
  });
  // Connection errors are retried by ioredis; a failed write is reported through onError.
  redis.on('error', () => undefined);
  const pending = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => undefined);
    return p;
  };
  const readRange = async (stream: StreamName): Promise<Array<{ id: string; event: SinkEvent }>> => {
    const rows = await redis.xrange(STREAM_KEYS[stream], '-', '+');
    const out: Array<{ id: string; event: SinkEvent }> = [];
    for (const [id, fields] of rows) {
      const at = fields.indexOf('event');
      const event = at >= 0 ? parseLine(fields[at + 1] ?? '') : undefined;
      if (event) out.push({ id, event });
    }
    return out;
  };
  return {
    kind: 'redis',
    append(stream, event) {
      const json = JSON.stringify(event);
      const op =
        stream === 'review'
          ? redis.xadd(STREAM_KEYS.review, 'MAXLEN', '~', String(REVIEW_MAX_LENGTH), '*', 'event', json)
          : redis.xadd(STREAM_KEYS.audit, '*', 'event', json);
      return track(op.then(() => undefined)).catch((error: unknown) => options.onError?.(stream, error));
    },
    async read(stream, sinceMs) {
      // Filter on the event's own time (the injected clock), not on Redis's id time.
      return (await readRange(stream)).map((r) => r.event).filter((e) => e.at >= sinceMs);
    },
    async purge(stream, beforeMs) {
      const old = (await readRange(stream)).filter((r) => r.event.at < beforeMs).map((r) => r.id);
      if (old.length === 0) return 0;
      return redis.xdel(STREAM_KEYS[stream], ...old);
    },
    async flush() {
      await Promise.allSettled([...pending]);
    },
    async close() {
      await Promise.allSettled([...pending]);
      redis.disconnect();
    },
  };
}
