/** The README's promises that code can check: its state diagram is the machine's own. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toMermaid } from '../../dialogs/diagram.js';
import { createMachineFor } from '../../src/bot/clinic-brain.js';
import { loadNlu } from '../../src/nlu/load.js';
import { REAL_KNOWLEDGE, ROOT } from '../helpers/service.js';

describe('README', () => {
  it('when the dialog machine changes, then the README diagram is regenerated (npm run diagram -- --write)', () => {
    const { knowledge, model } = loadNlu(REAL_KNOWLEDGE);
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`mermaid\n${toMermaid(createMachineFor(knowledge, model))}\n\`\`\``);
  });

  it('when the README gives its two opening commands, then they are npm start and npm test', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/npm ci && npm start/);
    expect(firstBlock).toMatch(/npm ci && npm test/);
    const scripts = (
      JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.start).toBeTruthy();
    expect(scripts.test).toBeTruthy();
  });
});
