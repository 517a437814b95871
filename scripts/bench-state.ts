/**
 * npm run bench:state -- [--turns N] [--seconds S] [--concurrency C] [--rounds R]
 *
 * A benchmark, not a test. With the brain the service wires by default and the real knowledge/,
 * it drives the symptom checks of tests/conversations/triage.yaml through the HTTP API on
 * loopback and measures:
 *   - stored bytes per conversation: the size of the value in Redis after every turn (the peak
 *     and the size when each conversation ends; target <= 2 KB);
 *   - turns per second with the in-memory store and with Redis (a redis-server started here on a
 *     free loopback port): both services are warmed up, then measured in alternating rounds, each
 *     bounded by a turn count and a time limit; the median round of each is reported.
 * Ends with one line: BENCH state_bytes=<peak> turns_per_s_memory=<n> turns_per_s_redis=<n|NA>.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { parseConfig } from '../src/config.js';
import { buildService, listen, type Service } from '../src/index.js';
import { createLogger } from '../src/logger.js';
import { createStore } from '../src/storage/create-store.js';
import { DEFAULT_KEY_PREFIX } from '../src/storage/redis-store.js';
import { findRedisServer, startRedis, type TestRedis } from '../tests/helpers/redis.js';

const ROOT = path.resolve(import.meta.dirname, '..');

const { values: args } = parseArgs({
  options: {
    turns: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
  },
});
const MAX_TURNS = Math.max(1, Number(args.turns));
const MAX_SECONDS = Math.max(1, Number(args.seconds));
const CONCURRENCY = Math.max(1, Number(args.concurrency));
const ROUNDS = Math.max(1, Number(args.rounds));

const script = parse(readFileSync(path.join(ROOT, 'tests/conversations/triage.yaml'), 'utf8')) as {
  conversations: Array<{ name: string; turns: Array<{ user: string }> }>;
};
const conversations = script.conversations.map((c) => c.turns.map((t) => String(t.user)));
if (conversations.length === 0) throw new Error('tests/conversations/triage.yaml has no conversations');

/** Logs are written (their cost is part of a turn) and thrown away. */
const discard = new Writable({ write: (_chunk, _enc, cb) => cb() });

async function startBot(redisUrl: string | undefined): Promise<{ service: Service; url: string }> {
  const config = parseConfig(
    {
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      KNOWLEDGE_DIR: path.join(ROOT, 'knowledge'),
      REDIS_URL: redisUrl,
    },
    ROOT,
  );
  const log = createLogger({ level: 'warn', pretty: false, destination: discard });
  const service = await buildService(config, { logDestination: discard, store: createStore(config, log) });
  return { service, url: await listen(service) };
}

let activityCounter = 0;
async function say(url: string, conversationId: string, text: string): Promise<boolean> {
  activityCounter++;
  const res = await fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'message',
      id: `bench-${activityCounter}`,
      text,
      channelId: 'emulator',
      serviceUrl: 'http://127.0.0.1:1',
      from: { id: `user-${conversationId}`, name: 'Patient' },
      recipient: { id: 'bot', name: 'Bot' },
      conversation: { id: conversationId },
      deliveryMode: 'expectReplies',
    }),
  });
  await res.arrayBuffer();
  return res.status === 200;
}

interface SizeReport {
  peak: number;
  finals: number[];
  peakConversation: string;
}

/** Every triage conversation once, reading the stored value's size after each turn. */
async function measureState(url: string, redis: Redis): Promise<SizeReport> {
  let peak = 0;
  let peakConversation = '';
  const finals: number[] = [];
  for (const [c, turns] of conversations.entries()) {
    const id = `size-${c}`;
    let last = 0;
    for (const text of turns) {
      await say(url, id, text);
      const bytes = await redis.strlen(DEFAULT_KEY_PREFIX + id);
      if (bytes > 0) last = bytes;
      if (bytes > peak) {
        peak = bytes;
        peakConversation = script.conversations[c]!.name;
      }
    }
    finals.push(last);
  }
  return { peak, finals, peakConversation };
}

interface Throughput {
  turns: number;
  failed: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
}

/** CONCURRENCY patients at once, each running triage conversations turn by turn, until a bound is hit. */
async function measureThroughput(url: string, label: string): Promise<Throughput> {
  const started = performance.now();
  const run = await drive(url, label, MAX_TURNS, started + MAX_SECONDS * 1000);
  const seconds = (performance.now() - started) / 1000;
  const latencies = run.latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    turns: latencies.length,
    failed: run.failed,
    seconds,
    perSecond: latencies.length / seconds,
    p50: at(0.5),
    p95: at(0.95),
  };
}

async function drive(
  url: string,
  label: string,
  maxTurns: number,
  deadline: number,
): Promise<{ latencies: number[]; failed: number }> {
  const latencies: number[] = [];
  let turns = 0;
  let failed = 0;
  let next = 0;
  const worker = async (w: number) => {
    while (turns < maxTurns && performance.now() < deadline) {
      const n = next++;
      const turnsOf = conversations[n % conversations.length]!;
      const id = `${label}-${w}-${n}`;
      for (const text of turnsOf) {
        if (turns >= maxTurns || performance.now() >= deadline) return;
        turns++;
        const t0 = performance.now();
        if (!(await say(url, id, text))) failed++;
        latencies.push(performance.now() - t0);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  return { latencies, failed };
}

/** Run but not counted: JIT, connections, caches. */
async function warmUp(url: string, label: string): Promise<void> {
  await drive(url, `${label}-warm`, Math.min(500, MAX_TURNS), performance.now() + MAX_SECONDS * 1000);
}

/** The round with the median turns per second. */
function medianRound(rounds: Throughput[]): Throughput {
  return [...rounds].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(rounds.length / 2)]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const turnsInScript = conversations.reduce((n, c) => n + c.length, 0);
  console.log(
    `bench:state: ${conversations.length} triage conversations (${turnsInScript} turns), ` +
      `${ROUNDS} round(s) of at most ${MAX_TURNS} turns or ${MAX_SECONDS} s per store, ${CONCURRENCY} concurrent patients, loopback only`,
  );

  const memoryBot = await startBot(undefined);
  let server: TestRedis | undefined;
  let raw: Redis | undefined;
  let redisBot: { service: Service; url: string } | undefined;
  let sizes: SizeReport | undefined;
  const memoryRounds: Throughput[] = [];
  const redisRounds: Throughput[] = [];
  let skipped = '';
  try {
    if (findRedisServer()) {
      server = await startRedis();
      raw = new Redis(server.url);
      redisBot = await startBot(server.url);
      sizes = await measureState(redisBot.url, raw);
      await warmUp(redisBot.url, 'redis');
    } else {
      skipped = 'redis-server is not on PATH: Redis numbers skipped';
    }
    await warmUp(memoryBot.url, 'memory');
    for (let round = 1; round <= ROUNDS; round++) {
      memoryRounds.push(await measureThroughput(memoryBot.url, `memory-${round}`));
      if (redisBot) redisRounds.push(await measureThroughput(redisBot.url, `redis-${round}`));
    }
  } finally {
    await memoryBot.service.stop();
    await redisBot?.service.stop();
    raw?.disconnect();
    await server?.close();
  }
  const memory = medianRound(memoryRounds);
  const redisRun = redisRounds.length > 0 ? medianRound(redisRounds) : undefined;

  const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(9);
  console.log(`\nmedian of ${ROUNDS} alternating round(s) per store`);
  console.log('store     turns  failed  seconds  turns/s   p50 ms   p95 ms');
  for (const [label, r] of [
    ['memory', memory],
    ['redis', redisRun],
  ] as const) {
    if (!r) {
      console.log(`${label.padEnd(6)}  ${skipped}`);
      continue;
    }
    console.log(
      `${label.padEnd(6)}${fmt(r.turns)}${String(r.failed).padStart(8)}${fmt(r.seconds, 1)}${fmt(r.perSecond, 1)}${fmt(r.p50, 1)}${fmt(r.p95, 1)}`,
    );
  }
  if (sizes) {
    console.log('\nstored state (bytes of the Redis value: version + record JSON)');
    console.log(`  peak during any conversation: ${sizes.peak}  (${sizes.peakConversation})`);
    console.log(
      `  when a conversation ends: median ${median(sizes.finals)}, max ${Math.max(...sizes.finals)}` +
        `  (target <= 2048: ${sizes.peak <= 2048 ? 'met' : 'NOT met'})`,
    );
  }
  if ([...memoryRounds, ...redisRounds].some((r) => r.failed > 0))
    console.log('\nsome turns did not answer 200: see the failed column');
  console.log(
    `BENCH state_bytes=${sizes ? sizes.peak : 'NA'} turns_per_s_memory=${memory.perSecond.toFixed(1)} ` +
      `turns_per_s_redis=${redisRun ? redisRun.perSecond.toFixed(1) : 'NA'}`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
