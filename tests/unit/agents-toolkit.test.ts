/**
 * The Microsoft 365 Agents Toolkit layout: m365agents.yml and m365agents.local.yml validate
 * against the toolkit's own YAML schema, and every ${{VARIABLE}} they use is defined by their
 * environment file (env/.env.dev, env/.env.local) or written by an earlier action.
 *
 * The schema is the one the toolkit ships: @microsoft/m365agentstoolkit-cli 1.1.17,
 * resource/yaml-schema/v1.13/yaml.schema.json (sha256 85c0b7b4...0d12), kept in scripts/schemas/
 * because the CLI package is 80 MB with its own dependency tree (too heavy for a dev dependency).
 * The .env files have no schema of their own; they are checked for shape (KEY=value lines) and
 * for the variables the project files need.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../helpers/service.js';

const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
const SCHEMA_FILE = path.join(ROOT, 'scripts', 'schemas', 'm365agents.yaml.v1.13.schema.json');
const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

/** Variables the toolkit defines itself. */
const BUILT_IN = new Set(['TEAMSFX_ENV', 'APP_NAME_SUFFIX']);

function envFile(name: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const [i, raw] of readFileSync(path.join(ROOT, 'env', name), 'utf8')
    .split('\n')
    .entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    expect(m, `env/${name} line ${i + 1} is not KEY=value`).not.toBeNull();
    values.set(m![1]!, m![2]!);
  }
  return values;
}

/** Variables written by actions (writeToEnvironmentFile), in the order the actions run. */
function written(doc: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  for (const stage of ['provision', 'deploy', 'publish']) {
    for (const action of (doc[stage] as Array<Record<string, unknown>> | undefined) ?? []) {
      const w = action.writeToEnvironmentFile as Record<string, string> | undefined;
      for (const name of Object.values(w ?? {})) out.add(name);
    }
  }
  return out;
}

describe.each([
  ['m365agents.yml', '.env.dev', 'dev'],
  ['m365agents.local.yml', '.env.local', 'local'],
])('the Agents Toolkit project file %s', (file, env, envName) => {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const doc = parseYaml(text) as Record<string, unknown>;

  it('when validated against the toolkit schema, then it has no errors', () => {
    expect(createHash('sha256').update(readFileSync(SCHEMA_FILE)).digest('hex')).toBe(
      '85c0b7b4d44ac1c4e93e6b323451dd9f8897b1012c6b58ede261b01066190d12',
    );
    const ok = validate(doc);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
    expect(text).toContain(
      `$schema=https://aka.ms/m365-agents-toolkits/${String(doc.version)}/yaml.schema.json`,
    );
  });

  it(`when its variables are looked up, then env/${env} or an earlier action defines each one`, () => {
    const values = envFile(env);
    expect(values.get('TEAMSFX_ENV')).toBe(envName);
    const known = new Set([...values.keys(), ...written(doc), ...BUILT_IN]);
    const used = [...text.matchAll(/\$\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]!);
    const missing = used.filter((v) => !known.has(v));
    expect(missing).toEqual([]);
  });

  it('when it builds the Teams package, then it uses npm run teams:package and checks the zip that script writes', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts['teams:package']).toBeDefined();
    const actions = (doc.provision as Array<{ uses: string; with?: Record<string, string> }>) ?? [];
    expect(
      actions.some((a) => a.uses === 'cli/runNpmCommand' && a.with?.args?.startsWith('run teams:package')),
    ).toBe(true);
    const zips = actions.filter((a) => a.with?.appPackagePath).map((a) => a.with!.appPackagePath);
    expect(zips.length).toBeGreaterThan(0);
    for (const zip of zips) expect(zip).toBe('./appPackage/build/appPackage.${{TEAMSFX_ENV}}.zip');
  });
});

describe('the toolkit schema check', () => {
  it('when a project file names an action the toolkit does not know, then validation fails', () => {
    const doc = parseYaml(readFileSync(path.join(ROOT, 'm365agents.yml'), 'utf8')) as Record<string, unknown>;
    const broken = { ...doc, provision: [{ uses: 'teamsApp/doesNotExist', with: {} }] };
    expect(validate(broken)).toBe(false);
  });
});
