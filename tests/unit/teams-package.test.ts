import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  APP_PACKAGE_DIR,
  buildTeamsPackage,
  decodeRgba,
  encodePng,
  FAKE_BOT_ID,
  manifestSchemaPath,
  PackageError,
  readPngHeader,
  shortenName,
  validateManifest,
} from '../../scripts/teams-package.js';
import { REAL_KNOWLEDGE, ROOT } from '../helpers/service.js';

const BOT_ID = '6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e';

/** The entries of a zip file, read from its central directory. */
function readZip(file: string): Map<string, Buffer> {
  const zip = readFileSync(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const dataStart =
      localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    entries.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'teams-package-'));
  temps.push(dir);
  return dir;
}
/** A copy of appPackage/ to break on purpose. */
function appPackageCopy(): string {
  const dir = tempDir();
  for (const file of ['manifest.json', 'color.png', 'outline.png'])
    cpSync(path.join(APP_PACKAGE_DIR, file), path.join(dir, file));
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function officialErrors(manifest: Record<string, unknown>): Promise<string[]> {
  const schema = JSON.parse(readFileSync(manifestSchemaPath(String(manifest.manifestVersion)), 'utf8'));
  return AppManifestUtils.validateAgainstSchema(manifest as never, schema);
}

describe('npm run teams:package', () => {
  it('when configured, then the zip holds exactly manifest.json and the two icons at its root, and the manifest validates and carries the bot id', async () => {
    const outDir = tempDir();
    const result = await buildTeamsPackage({
      outDir,
      env: 'dev',
      environment: { MicrosoftAppId: BOT_ID, BOT_DOMAIN: 'bot.clinic.example' },
      knowledgeDir: REAL_KNOWLEDGE,
    });
    expect(path.basename(result.zipPath)).toBe('appPackage.dev.zip');
    const entries = readZip(result.zipPath);
    expect([...entries.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);

    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    expect(validateManifest(manifest)).toEqual([]);
    expect(await officialErrors(manifest)).toEqual([]);
    expect(Number(manifest.manifestVersion)).toBeGreaterThanOrEqual(1.19);
    expect(manifest.bots[0].botId).toBe(BOT_ID);
    expect(manifest.id).toBe(BOT_ID);
    expect(manifest.bots[0].scopes).toContain('personal');
    expect(manifest.validDomains).toContain('bot.clinic.example');
    expect(JSON.stringify(manifest)).not.toMatch(/\$\{\{/);

    expect(readPngHeader(entries.get('color.png')!)).toMatchObject({ width: 192, height: 192 });
    const outline = entries.get('outline.png')!;
    const info = readPngHeader(outline)!;
    expect(info).toMatchObject({ width: 32, height: 32 });
    const pixels = decodeRgba(outline, info);
    let visible = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] === 0) continue;
      visible++;
      expect([pixels[i], pixels[i + 1], pixels[i + 2]]).toEqual([255, 255, 255]);
    }
    expect(visible).toBeGreaterThan(0);
    expect(visible).toBeLessThan(32 * 32);
  });

  it('when the same input is packaged twice, then the zips are identical', async () => {
    const options = { environment: { MicrosoftAppId: BOT_ID }, knowledgeDir: REAL_KNOWLEDGE };
    const a = await buildTeamsPackage({ ...options, outDir: tempDir() });
    const b = await buildTeamsPackage({ ...options, outDir: tempDir() });
    expect(readFileSync(a.zipPath).equals(readFileSync(b.zipPath))).toBe(true);
  });

  it('when MicrosoftAppId is not set, then the package uses the all-zero fake id and warns', async () => {
    const result = await buildTeamsPackage({
      outDir: tempDir(),
      environment: {},
      knowledgeDir: REAL_KNOWLEDGE,
    });
    expect(result.manifest.bots).toMatchObject([{ botId: FAKE_BOT_ID }]);
    expect(result.warnings.some((w) => w.includes('MicrosoftAppId'))).toBe(true);
  });

  it('every command the manifest lists is a phrase the bot is trained to understand', () => {
    const template = JSON.parse(readFileSync(path.join(APP_PACKAGE_DIR, 'manifest.json'), 'utf8'));
    const intents = parseYaml(readFileSync(path.join(REAL_KNOWLEDGE, 'intents.yaml'), 'utf8'))
      .intents as Record<string, { examples: string[] }>;
    const examples = new Set(Object.values(intents).flatMap((i) => i.examples.map((e) => e.toLowerCase())));
    const titles = template.bots[0].commandLists.flatMap((l: any) =>
      l.commands.map((c: any) => c.title as string),
    );
    expect(titles.length).toBeGreaterThan(0);
    for (const title of titles) expect(examples.has(title.toLowerCase()), title).toBe(true);
  });

  it('when the bot is in a group chat or a team, then the symptom check is not offered as a command there (the bot declines it in shared chats)', () => {
    const template = JSON.parse(readFileSync(path.join(APP_PACKAGE_DIR, 'manifest.json'), 'utf8'));
    const lists = template.bots[0].commandLists as Array<{
      scopes: string[];
      commands: Array<{ title: string }>;
    }>;
    const titlesIn = (scope: string) =>
      lists.filter((l) => l.scopes.includes(scope)).flatMap((l) => l.commands.map((c) => c.title));
    const intents = parseYaml(readFileSync(path.join(REAL_KNOWLEDGE, 'intents.yaml'), 'utf8'))
      .intents as Record<string, { examples: string[] }>;
    const triage = new Set(intents.start_triage!.examples.map((e) => e.toLowerCase()));
    expect(titlesIn('personal').some((t) => triage.has(t.toLowerCase()))).toBe(true);
    for (const scope of ['team', 'groupChat']) {
      expect(titlesIn(scope).length, scope).toBeGreaterThan(0);
      expect(
        titlesIn(scope).filter((t) => triage.has(t.toLowerCase())),
        scope,
      ).toEqual([]);
    }
  });

  it('when the manifest breaks the schema, then packaging fails with one readable line per error, each with its path, and writes nothing', async () => {
    const dir = appPackageCopy();
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    manifest.bots[0].scopes = ['personal', 'everyone'];
    manifest.developer.nickname = 'x';
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const outDir = tempDir();
    const error = await buildTeamsPackage({
      appPackageDir: dir,
      outDir,
      environment: { MicrosoftAppId: BOT_ID },
      knowledgeDir: REAL_KNOWLEDGE,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PackageError);
    const problems = (error as PackageError).problems;
    expect(problems.some((p) => p.startsWith('/bots/0/scopes/1:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('/developer:') && p.includes('"nickname"'))).toBe(true);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('when an icon has the wrong size or the outline icon has colour, then packaging fails naming the file', async () => {
    const dir = appPackageCopy();
    writeFileSync(path.join(dir, 'color.png'), encodePng(100, 100, Buffer.alloc(100 * 100 * 4, 200)));
    const red = Buffer.alloc(32 * 32 * 4);
    for (let i = 0; i < 16; i++) red.set([255, 0, 0, 255], i * 4);
    writeFileSync(path.join(dir, 'outline.png'), encodePng(32, 32, red));
    const error = await buildTeamsPackage({
      appPackageDir: dir,
      outDir: tempDir(),
      environment: { MicrosoftAppId: BOT_ID },
      knowledgeDir: REAL_KNOWLEDGE,
    }).catch((e: unknown) => e);
    const problems = (error as PackageError).problems;
    expect(problems.some((p) => p.startsWith('color.png:') && p.includes('192x192'))).toBe(true);
    expect(problems.some((p) => p.startsWith('outline.png:') && p.includes('white'))).toBe(true);
  });

  it('when the template names an unknown placeholder, then packaging fails naming it', async () => {
    const dir = appPackageCopy();
    const text = readFileSync(path.join(dir, 'manifest.json'), 'utf8').replace('${{BOT_ID}}', '${{BOT_IDD}}');
    writeFileSync(path.join(dir, 'manifest.json'), text);
    const error = await buildTeamsPackage({
      appPackageDir: dir,
      outDir: tempDir(),
      environment: { MicrosoftAppId: BOT_ID },
      knowledgeDir: REAL_KNOWLEDGE,
    }).catch((e: unknown) => e);
    expect((error as PackageError).problems.some((p) => p.includes('BOT_IDD'))).toBe(true);
  });

  it('when run from the command line on a broken manifest, then it exits non-zero and prints the error path', () => {
    const dir = appPackageCopy();
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    manifest.accentColor = 'teal';
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/teams-package.ts', '--app-package', dir, '--out', tempDir()],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, MicrosoftAppId: BOT_ID },
      },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('/accentColor');
  });

  it('shortens a long name to whole words within the limit', () => {
    expect(shortenName('Riverside Back & Sciatica Clinic Centre', 30)).toBe('Riverside Back & Sciatica');
    expect(shortenName('Short Name', 30)).toBe('Short Name');
    expect(shortenName('Averyveryverylongsinglewordclinicname', 30)).toHaveLength(30);
  });
});
