/**
 * Who may import whom (docs/design.md, "Layers and who may import what"): src/knowledge loads and
 * validates content and never reaches into src/nlu (only src/nlu imports src/knowledge), and the
 * text toolkit src/text, which both use, imports neither. Read from the import statements of the
 * source files themselves.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** The relative module paths a TypeScript file imports or re-exports, resolved against src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out
    .filter((spec) => spec.startsWith('.'))
    .map((spec) =>
      path
        .relative(SRC, path.resolve(path.dirname(file), spec))
        .split(path.sep)
        .join('/'),
    );
}

function filesOf(folder: string): string[] {
  return readdirSync(path.join(SRC, folder))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(SRC, folder, name));
}

function offending(folder: string, allowed: (target: string) => boolean): string[] {
  return filesOf(folder).flatMap((file) =>
    importsOf(file)
      .filter((target) => !allowed(target))
      .map((target) => `${path.relative(SRC, file)} imports ${target}`),
  );
}

describe('import direction between the layers', () => {
  it('when the import reader sees a file, then it finds its relative imports', () => {
    // The check below is only as good as this reader: it must see the loader's imports.
    const targets = importsOf(path.join(SRC, 'knowledge/load.ts'));
    expect(targets).toContain('knowledge/clinical-tables.js');
    expect(targets).toContain('knowledge/language-file.js');
    expect(importsOf(path.join(SRC, 'nlu/red-flags.ts'))).toContain('knowledge/clinical-tables.js');
  });

  it('when src/knowledge imports, then never from src/nlu', () => {
    expect(offending('knowledge', (t) => !t.startsWith('nlu/'))).toEqual([]);
  });

  it('when the text toolkit src/text imports, then only from itself', () => {
    expect(offending('text', (t) => t.startsWith('text/'))).toEqual([]);
  });
});
