#!/usr/bin/env node
/* global process, console, performance */
/**
 * `npm run bench`: the product against an echo bot on the same stack (scripts/bench/echo-bot.mjs),
 * driven the same way: autocannon, 16 connections, Bot Framework message activities with
 * deliveryMode expectReplies (replies in the response, no outbound calls) spread over many
 * conversations, each conversation getting several turns of patient-like messages.
 *
 * Measured per bot: time to "bot ready" from the spawn (the product through `npm start`, with the
 * build and the trained model already cached), turns per second, p99 latency, and resident memory
 * after the run (every conversation still held: the product keeps them in its in-memory store).
 * The last line is machine-readable: `BENCH key=value ...` with the ratios product / echo.
 *
 * Options: --conversations N (default 10000), --turns N per conversation (default 2),
 * --connections N (default 16).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';

const root = path.resolve(import.meta.dirname, '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CONVERSATIONS = arg('conversations', 10_000);
const TURNS = arg('turns', 2);
const CONNECTIONS = arg('connections', 16);
const WARMUP = 500;
const TEXTS = [
  'hi',
  'what is sciatica',
  'how is it treated?',
  'my lower back hurts when I sit',
  'what are your opening hours',
  'is it serious?',
];

/** Bots still running, stopped if the bench is interrupted. */
const children = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill('SIGTERM');
    process.exit(130);
  });
}

function start(name, command, args, env) {
  const spawned = performance.now();
  const child = spawn(command, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let buffer = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const record = JSON.parse(line);
        if (record.msg === 'bot ready') {
          // Keep draining the logs (one line per turn) without holding them.
          child.stdout.off('data', onData);
          child.stdout.resume();
          resolve({
            name,
            child,
            url: record.url,
            pid: record.pid,
            readyS: (performance.now() - spawned) / 1000,
            // From the process's own clock: without npm and the build check in front of it.
            selfReadyS: record.readyMs / 1000,
          });
        }
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
  });
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

function activity(k, tag) {
  const conversation = k % CONVERSATIONS;
  const round = Math.floor(k / CONVERSATIONS);
  return JSON.stringify({
    type: 'message',
    id: `${tag}-${k}`,
    text: TEXTS[(conversation + round) % TEXTS.length],
    channelId: 'emulator',
    serviceUrl: 'http://127.0.0.1:1',
    deliveryMode: 'expectReplies',
    from: { id: `user-${conversation}`, name: 'Patient' },
    recipient: { id: 'bot', name: 'Bot' },
    conversation: { id: `bench-${tag}-${conversation}` },
  });
}

async function drive(url, amount, tag) {
  let k = 0;
  let errors = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    amount,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/api/messages',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: activity(k++, tag) }),
        onResponse: (status) => {
          if (status !== 200) errors++;
        },
      },
    ],
  });
  return { result, errors };
}

async function measure(bot) {
  await drive(bot.url, WARMUP, 'warm');
  const { result, errors } = await drive(bot.url, CONVERSATIONS * TURNS, 'run');
  const seconds = result.duration;
  const turns = result.requests.total;
  const stats = {
    turnsPerS: turns / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: errors + result.errors + result.timeouts + result.non2xx,
    rssMb: rssMb(bot.pid),
    readyS: bot.readyS,
    selfReadyS: bot.selfReadyS,
  };
  bot.child.kill('SIGTERM');
  await new Promise((r) => bot.child.once('exit', r));
  return stats;
}

const build = spawnSync(process.execPath, ['scripts/ensure-built.mjs'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const echo = await measure(
  await start('echo', process.execPath, ['scripts/bench/echo-bot.mjs'], { PORT: '0' }),
);
const product = await measure(
  await start('product', 'npm', ['start', '--silent'], {
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    LOG_FORMAT: 'json',
    MEMORY_MAX_CONVERSATIONS: String(Math.max(20_000, CONVERSATIONS + WARMUP)),
  }),
);

const f = (n, d = 0) => n.toFixed(d);
console.log(`\n${CONVERSATIONS} conversations x ${TURNS} turns, ${CONNECTIONS} connections (autocannon)`);
console.log('bot      turns/s   p50 ms  p99 ms  ready s  RSS MB  errors');
for (const [name, s] of [
  ['echo', echo],
  ['product', product],
]) {
  console.log(
    `${name.padEnd(8)} ${f(s.turnsPerS).padStart(7)} ${f(s.p50).padStart(8)} ${f(s.p99).padStart(7)} ${f(s.readyS, 2).padStart(8)} ${f(s.rssMb).padStart(7)} ${String(s.errors).padStart(7)}`,
  );
}
console.log(
  [
    'BENCH',
    `conversations=${CONVERSATIONS}`,
    `echo_turns_s=${f(echo.turnsPerS)}`,
    `product_turns_s=${f(product.turnsPerS)}`,
    `throughput_ratio=${f(product.turnsPerS / echo.turnsPerS, 2)}`,
    `echo_p99_ms=${f(echo.p99)}`,
    `product_p99_ms=${f(product.p99)}`,
    `p99_ratio=${f(product.p99 / Math.max(1, echo.p99), 2)}`,
    `echo_ready_s=${f(echo.readyS, 2)}`,
    `product_ready_s=${f(product.readyS, 2)}`,
    `product_self_ready_s=${f(product.selfReadyS, 2)}`,
    `echo_rss_mb=${f(echo.rssMb)}`,
    `product_rss_mb=${f(product.rssMb)}`,
    `errors=${echo.errors + product.errors}`,
  ].join(' '),
);
