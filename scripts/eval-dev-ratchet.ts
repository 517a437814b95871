#!/usr/bin/env node
/**
 * The ratchet: run the outside evaluation set (../shared/eval-dev, written by someone who never saw
 * this code) against the freshly built bot and fail when any figure of its EVAL line falls below
 * the floor kept in tests/eval/floors.json. Raise a floor whenever a change lifts the figure; never
 * lower one without saying why in the commit.
 *
 *   tsx scripts/eval-dev-ratchet.ts [--eval-dir ../shared/eval-dev]
 *
 * Exit 0 when every floor holds, 1 when one falls, 2 when the evaluation could not run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const at = process.argv.indexOf('--eval-dir');
const evalDir = path.resolve(root, at > 0 ? (process.argv[at + 1] ?? '') : '../shared/eval-dev');
const driver = path.join(evalDir, 'run.mjs');
if (!existsSync(driver)) {
  console.error(`eval-dev ratchet: no driver at ${driver}`);
  process.exit(process.env.CI ? 2 : 0);
}

// Build first (npm start runs the compiled JavaScript), so the driver's start-up wait is for the bot only.
const build = spawnSync(process.execPath, [path.join(root, 'scripts/ensure-built.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) {
  console.error('eval-dev ratchet: the build failed');
  process.exit(2);
}

const floors: { min?: Record<string, number>; max?: Record<string, number> } = JSON.parse(
  readFileSync(path.join(root, 'tests/eval/floors.json'), 'utf8'),
);
const run = spawnSync(
  process.execPath,
  [
    driver,
    '--start',
    'npm start',
    '--cwd',
    root,
    '--transcripts',
    path.join(root, 'artifacts/eval-dev'),
    '--start-timeout',
    '300',
    '--concurrency',
    '2',
    '--show-failures',
    '60',
  ],
  { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60 * 1000 },
);
process.stdout.write(run.stdout ?? '');
process.stderr.write(run.stderr ?? '');
const line = (run.stdout ?? '').split('\n').find((l) => l.startsWith('EVAL '));
if (run.status !== 0 || !line) {
  console.error(`eval-dev ratchet: the evaluation did not run (exit ${run.status})`);
  process.exit(2);
}

const figures = Object.fromEntries(
  line
    .slice(5)
    .trim()
    .split(/\s+/)
    .map((kv) => kv.split('='))
    .map(([k, v]) => [k, Number.parseFloat(v ?? '')]),
);
const problems: string[] = [];
for (const [key, floor] of Object.entries(floors.min ?? {})) {
  if (!(figures[key] >= floor)) problems.push(`${key}=${figures[key]} is below its floor ${floor}`);
}
for (const [key, ceiling] of Object.entries(floors.max ?? {})) {
  if (!(figures[key] <= ceiling)) problems.push(`${key}=${figures[key]} is above its ceiling ${ceiling}`);
}
if (problems.length > 0) {
  console.error(`\neval-dev ratchet FAILED:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('\neval-dev ratchet: every floor holds (tests/eval/floors.json)');
