/**
 * npm run diagram: print the dialog machine as a Mermaid state diagram, generated from the machine
 * itself. `npm run diagram -- --write` puts it into README.md between the diagram markers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createMachineFor } from '../src/bot/clinic-brain.js';
import { toMermaid } from '../dialogs/diagram.js';
import { loadNlu } from '../src/nlu/load.js';

const { knowledge, model } = loadNlu('knowledge');
const mermaid = toMermaid(createMachineFor(knowledge, model));
if (process.argv.includes('--write')) {
  const readme = readFileSync('README.md', 'utf8');
  const start = '<!-- diagram:start -->';
  const end = '<!-- diagram:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < 0) throw new Error('README.md has no diagram markers');
  writeFileSync(
    'README.md',
    `${readme.slice(0, i + start.length)}\n\`\`\`mermaid\n${mermaid}\n\`\`\`\n${readme.slice(j)}`,
  );
  console.log('README.md diagram updated');
} else {
  console.log(mermaid);
}
