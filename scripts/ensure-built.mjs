#!/usr/bin/env node
/* global process, console */
/**
 * `npm start` runs the compiled JavaScript with `node` directly (no tsx in production: tsx
 * forwards a second signal to its child, and `npm start` -> tsx -> node left an orphan serving
 * requests after a SIGTERM to npm). This step compiles first, but only when the sources changed
 * since the last build, so a restart costs a few milliseconds, not a TypeScript build.
 *
 * Stale means: no dist/src/index.js, or any file under src/ or dialogs/ (or a tsconfig) newer than
 * it (tsc rewrites every output on each build, so the entry's time is the build's time).
 * Without TypeScript (an install with --omit=dev) an existing build is used as it is.
 * Plain JavaScript on purpose: it must run before anything is compiled.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const entry = path.join(root, 'dist', 'src', 'index.js');
const sources = ['src', 'dialogs', 'tsconfig.json', 'tsconfig.build.json'].map((p) => path.join(root, p));

function newestMtime(file) {
  const info = statSync(file, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of readdirSync(file)) newest = Math.max(newest, newestMtime(path.join(file, name)));
  return newest;
}

const built = statSync(entry, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (built > 0 && sources.every((s) => newestMtime(s) <= built)) process.exit(0);

const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) {
  if (existsSync(entry)) {
    console.error('ensure-built: TypeScript is not installed; running the existing build in dist/.');
    process.exit(0);
  }
  console.error(
    'ensure-built: no build in dist/ and no TypeScript to make one. Run `npm ci` then `npm run build`.',
  );
  process.exit(1);
}
const started = Date.now();
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
if (result.status !== 0) {
  // tsc still writes the JavaScript when it reports type errors (CI's typecheck is the gate for
  // those); start only if this build wrote the entry point.
  const written = statSync(entry, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (written < started) process.exit(result.status ?? 1);
  console.error('ensure-built: TypeScript reported errors (above); running the JavaScript it wrote.');
}
console.error(
  `ensure-built: compiled src/ and dialogs/ to dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
