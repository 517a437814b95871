/**
 * `npm run teams:package [-- --env dev]`: the Microsoft Teams app package.
 *
 * Fills appPackage/manifest.json (a template with Teams Toolkit style `${{NAME}}` placeholders)
 * from configuration and the clinic profile, validates it against the manifest JSON schema of its
 * manifestVersion (shipped in @microsoft/app-manifest, so no download), checks the two icons by
 * reading their PNG headers (and that the outline icon is white on transparent), and writes
 * appPackage/build/appPackage.<env>.zip with exactly manifest.json, color.png and outline.png at
 * its root (plus build/manifest.<env>.json to look at). Exits non-zero on any problem.
 *
 * `--icons` redraws color.png (192x192) and outline.png (32x32) from the clinic's colours, with a
 * PNG encoder written here (node:zlib only).
 *
 * Placeholders: BOT_ID (MicrosoftAppId or BOT_ID; a fake all-zero GUID and a warning when unset),
 * TEAMS_APP_ID (defaults to the bot id), SHORT_NAME (TEAMS_APP_SHORT_NAME, or the clinic name cut to
 * whole words within Teams' 30 characters), BOT_DOMAIN (or the host of BOT_ENDPOINT; dropped when
 * unset), APP_VERSION (package.json), CLINIC_NAME, CLINIC_WEBSITE, CLINIC_DOMAIN, EMERGENCY_NUMBER,
 * ACCENT_COLOR (clinic.yaml), PRIVACY_URL and TERMS_URL (default: the clinic website).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync, deflateSync } from 'node:zlib';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { readEnvironment } from '../src/config.js';
import { type Clinic, clinicSchema } from '../src/knowledge/schema.js';

const require = createRequire(import.meta.url);
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;

export const ROOT = path.resolve(import.meta.dirname, '..');
export const APP_PACKAGE_DIR = path.join(ROOT, 'appPackage');
export const ICONS = {
  color: { file: 'color.png', size: 192 },
  outline: { file: 'outline.png', size: 32 },
} as const;
export const FAKE_BOT_ID = '00000000-0000-0000-0000-000000000000';
/** Teams' limit for name.short. */
const SHORT_NAME_MAX = 30;
const PLACEHOLDER = /\$\{\{\s*([A-Z0-9_]+)\s*\}\}/g;
/** Placeholders that may be left unset: a list item that is only one of them is then dropped. */
const OPTIONAL = new Set(['BOT_DOMAIN']);
/** Zip entries get one fixed time, so the same input gives the same package. */
const FIXED_MTIME = new Date(Date.UTC(2024, 0, 1));

export class PackageError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `The Teams package was not written: ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'PackageError';
  }
}

export interface PackageOptions {
  /** Folder with manifest.json, color.png and outline.png. */
  appPackageDir?: string;
  /** Where the zip goes (default: <appPackageDir>/build). */
  outDir?: string;
  /** Environment name in the file names (local, dev, prod...). */
  env?: string;
  /** Configuration values (process environment + .env by default). */
  environment?: Record<string, string | undefined>;
  /** Folder with clinic.yaml (default: KNOWLEDGE_DIR or knowledge/). */
  knowledgeDir?: string;
  /** App version (default: package.json version). */
  version?: string;
}

export interface PackageResult {
  zipPath: string;
  manifestPath: string;
  manifest: Record<string, unknown>;
  warnings: string[];
}

/** Fill, validate, check the icons and write the zip. Throws PackageError listing every problem. */
export async function buildTeamsPackage(options: PackageOptions = {}): Promise<PackageResult> {
  const environment = options.environment ?? readEnvironment(ROOT);
  const appPackageDir = options.appPackageDir ?? APP_PACKAGE_DIR;
  const outDir = options.outDir ?? path.join(appPackageDir, 'build');
  const env = options.env ?? environment.TEAMSFX_ENV ?? 'local';
  if (!/^[a-z0-9-]+$/i.test(env))
    throw new PackageError([`the environment name "${env}" must be letters, digits or hyphens`]);
  const warnings: string[] = [];

  const clinic = readClinic(
    options.knowledgeDir ?? path.resolve(ROOT, environment.KNOWLEDGE_DIR || 'knowledge'),
  );
  const values = placeholderValues(environment, clinic, options.version ?? packageVersion(), warnings);
  const templatePath = path.join(appPackageDir, 'manifest.json');
  if (!existsSync(templatePath)) throw new PackageError([`${templatePath} is missing`]);
  const filled = fillManifest(readFileSync(templatePath, 'utf8'), values);
  const problems = [...filled.problems];
  if (filled.manifest) problems.push(...validateManifest(filled.manifest));
  problems.push(...checkIcons(appPackageDir, filled.manifest));
  if (problems.length > 0) throw new PackageError(problems);
  const manifest = filled.manifest as Record<string, unknown>;

  mkdirSync(outDir, { recursive: true });
  const manifestJson = `${JSON.stringify(manifest, null, 2)}\n`;
  const manifestPath = path.join(outDir, `manifest.${env}.json`);
  writeFileSync(manifestPath, manifestJson);
  const zipPath = path.join(outDir, `appPackage.${env}.zip`);
  await writeZip(zipPath, [
    ['manifest.json', Buffer.from(manifestJson)],
    [ICONS.color.file, readFileSync(path.join(appPackageDir, ICONS.color.file))],
    [ICONS.outline.file, readFileSync(path.join(appPackageDir, ICONS.outline.file))],
  ]);
  return { zipPath, manifestPath, manifest, warnings };
}

function readClinic(knowledgeDir: string): Clinic {
  const file = path.join(knowledgeDir, 'clinic.yaml');
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PackageError([`${file} cannot be read: ${(error as Error).message}`]);
  }
  const parsed = clinicSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PackageError(
      parsed.error.issues.map((i) => `${file}: "${i.path.join('.')}" ${i.message} (run npm run kb:check)`),
    );
  }
  return parsed.data;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export function placeholderValues(
  environment: Record<string, string | undefined>,
  clinic: Clinic,
  version: string,
  warnings: string[],
): Record<string, string | undefined> {
  const get = (key: string) => environment[key]?.trim() || undefined;
  let botId = get('MicrosoftAppId') ?? get('BOT_ID');
  if (!botId) {
    warnings.push(
      `MicrosoftAppId is not set: the package uses the fake bot id ${FAKE_BOT_ID}. Set it before uploading to Teams.`,
    );
    botId = FAKE_BOT_ID;
  }
  let botDomain = get('BOT_DOMAIN');
  if (!botDomain && get('BOT_ENDPOINT')) {
    try {
      botDomain = new URL(get('BOT_ENDPOINT') as string).host;
    } catch {
      warnings.push('BOT_ENDPOINT is not a URL: it is ignored');
    }
  }
  if (!botDomain) warnings.push('BOT_DOMAIN is not set: validDomains lists only the clinic website.');
  let shortName = get('TEAMS_APP_SHORT_NAME') ?? clinic.name;
  if (!get('TEAMS_APP_SHORT_NAME') && shortName.length > SHORT_NAME_MAX) {
    shortName = shortenName(shortName, SHORT_NAME_MAX);
    warnings.push(
      `The clinic name is longer than Teams allows for an app's short name (${SHORT_NAME_MAX}): "${shortName}" is used. Set TEAMS_APP_SHORT_NAME to choose.`,
    );
  }
  const privacy = get('PRIVACY_URL');
  const terms = get('TERMS_URL');
  if (!privacy || !terms)
    warnings.push('PRIVACY_URL or TERMS_URL is not set: the clinic website is used instead.');
  return {
    BOT_ID: botId,
    TEAMS_APP_ID: get('TEAMS_APP_ID') ?? botId,
    BOT_DOMAIN: botDomain,
    APP_VERSION: version,
    CLINIC_NAME: clinic.name,
    SHORT_NAME: shortName,
    CLINIC_WEBSITE: clinic.website,
    CLINIC_DOMAIN: new URL(clinic.website).host,
    EMERGENCY_NUMBER: clinic.emergencyNumber,
    ACCENT_COLOR: clinic.webchat.primaryColour,
    PRIVACY_URL: privacy ?? clinic.website,
    TERMS_URL: terms ?? clinic.website,
  };
}

/** Whole words from the start that fit, without a dangling "&", "-" or comma. */
export function shortenName(name: string, max: number): string {
  const words = name.split(/\s+/);
  let out = '';
  for (const word of words) {
    const next = out ? `${out} ${word}` : word;
    if (next.length > max) break;
    out = next;
  }
  out = out.replace(/[\s&,+/-]+$/u, '');
  return out || name.slice(0, max);
}

/** Replace `${{NAME}}` in every string of the template; unknown or missing names are problems. */
export function fillManifest(
  template: string,
  values: Record<string, string | undefined>,
): { manifest?: Record<string, unknown>; problems: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(template);
  } catch (error) {
    return { problems: [`manifest.json is not valid JSON: ${(error as Error).message}`] };
  }
  const problems = new Set<string>();
  const fill = (text: string, where: string): string =>
    text.replace(PLACEHOLDER, (_m, name: string) => {
      if (!(name in values)) {
        problems.add(
          `${where}: unknown placeholder \${{${name}}} (known: ${Object.keys(values).join(', ')})`,
        );
        return '';
      }
      const value = values[name];
      if (value === undefined && !OPTIONAL.has(name)) problems.add(`${where}: \${{${name}}} has no value`);
      return value ?? '';
    });
  const walk = (node: unknown, where: string): unknown => {
    if (typeof node === 'string') return fill(node, where);
    if (Array.isArray(node)) {
      const out: unknown[] = [];
      node.forEach((item, i) => {
        // A list item that is only an optional placeholder with no value is left out.
        const only = typeof item === 'string' ? /^\$\{\{\s*([A-Z0-9_]+)\s*\}\}$/.exec(item) : null;
        if (only?.[1] && OPTIONAL.has(only[1]) && values[only[1]] === undefined) return;
        const value = walk(item, `${where}/${i}`);
        if (typeof value === 'string' && out.includes(value)) return;
        out.push(value);
      });
      return out;
    }
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, `${where}/${k}`)]));
    }
    return node;
  };
  const manifest = walk(parsed, '') as Record<string, unknown>;
  return { manifest, problems: [...problems] };
}

/** The Teams manifest JSON schema for a manifestVersion, from the installed @microsoft/app-manifest. */
export function manifestSchemaPath(manifestVersion: string): string {
  const buildDir = path.dirname(require.resolve('@microsoft/app-manifest'));
  return path.join(buildDir, 'json-schemas', 'teams', `v${manifestVersion}`, 'MicrosoftTeams.schema.json');
}

/** Validate against the schema of the manifest's own manifestVersion; one line per error, with its path. */
export function validateManifest(manifest: Record<string, unknown>): string[] {
  const version = manifest.manifestVersion;
  if (typeof version !== 'string') return ['/manifestVersion: is missing'];
  const schemaFile = manifestSchemaPath(version);
  if (!existsSync(schemaFile)) {
    return [
      `/manifestVersion: no schema for version "${version}" in @microsoft/app-manifest (${schemaFile})`,
    ];
  }
  // The published schemas are draft-04 and use nothing draft-07 reads differently (no `id`, no
  // boolean exclusiveMinimum): drop the meta-schema URL and let ajv's default dialect compile it.
  // `\a` in one published pattern is not valid in a JavaScript RegExp (as @microsoft/app-manifest
  // also works around).
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8').replace(/\\\\a/g, '\\\\x07')) as Record<
    string,
    unknown
  >;
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  if (validate(manifest)) return [];
  return (validate.errors ?? []).map((e) => {
    const detail =
      e.keyword === 'additionalProperties'
        ? ` ("${(e.params as { additionalProperty: string }).additionalProperty}")`
        : e.keyword === 'enum'
          ? ` (one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`
          : '';
    return `${e.instancePath || '/'}: ${e.message ?? e.keyword}${detail}`;
  });
}

export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width, height and pixel format from the IHDR chunk. */
export function readPngHeader(png: Buffer): PngInfo | undefined {
  if (
    png.length < 33 ||
    !png.subarray(0, 8).equals(PNG_SIGNATURE) ||
    png.toString('latin1', 12, 16) !== 'IHDR'
  ) {
    return undefined;
  }
  return {
    width: png.readUInt32BE(16),
    height: png.readUInt32BE(20),
    bitDepth: png[24] as number,
    colorType: png[25] as number,
    interlace: png[28] as number,
  };
}

/** The two icons: present, PNG, the right sizes; the outline white on transparent. */
export function checkIcons(appPackageDir: string, manifest?: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const icons = (manifest?.icons ?? {}) as Record<string, unknown>;
  for (const [kind, spec] of Object.entries(ICONS)) {
    if (manifest && icons[kind] !== spec.file) {
      problems.push(`/icons/${kind}: must be "${spec.file}" (the file at the zip's root)`);
    }
    const file = path.join(appPackageDir, spec.file);
    if (!existsSync(file)) {
      problems.push(`${spec.file}: missing (run npm run teams:package -- --icons to draw it)`);
      continue;
    }
    const png = readFileSync(file);
    const info = readPngHeader(png);
    if (!info) {
      problems.push(`${spec.file}: not a PNG file`);
      continue;
    }
    if (info.width !== spec.size || info.height !== spec.size) {
      problems.push(`${spec.file}: is ${info.width}x${info.height}; Teams needs ${spec.size}x${spec.size}`);
    }
    if (kind === 'outline') problems.push(...checkOutline(png, info).map((p) => `${spec.file}: ${p}`));
  }
  return problems;
}

function checkOutline(png: Buffer, info: PngInfo): string[] {
  if (info.colorType !== 6 || info.bitDepth !== 8 || info.interlace !== 0) {
    return ['must be an 8-bit RGBA PNG (white on a transparent background)'];
  }
  const pixels = decodeRgba(png, info);
  let coloured = 0;
  let opaque = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] === 0) continue;
    opaque++;
    if (pixels[i] !== 255 || pixels[i + 1] !== 255 || pixels[i + 2] !== 255) coloured++;
  }
  const problems: string[] = [];
  if (coloured > 0)
    problems.push(`${coloured} visible pixel(s) are not white; the outline icon must be white only`);
  if (opaque === info.width * info.height)
    problems.push('has no transparent pixels; the background must be transparent');
  if (opaque === 0) problems.push('is fully transparent');
  return problems;
}

/** Decode a non-interlaced 8-bit RGBA PNG (the format this script writes). */
export function decodeRgba(png: Buffer, info: PngInfo): Buffer {
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = info.width * 4;
  const out = Buffer.alloc(stride * info.height);
  for (let y = 0; y < info.height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] as number;
      const a = x >= 4 ? (out[y * stride + x - 4] as number) : 0;
      const b = y > 0 ? (out[(y - 1) * stride + x] as number) : 0;
      const c = x >= 4 && y > 0 ? (out[(y - 1) * stride + x - 4] as number) : 0;
      const predictor =
        filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : 0;
      out[y * stride + x] = (value + predictor) & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGBA PNG from raw pixels (row-major, 4 bytes a pixel). */
export function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const rows = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++)
    rgba.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

type Shape = (x: number, y: number) => boolean;

function roundedRect(x0: number, y0: number, x1: number, y1: number, r: number): Shape {
  return (x, y) => {
    if (x < x0 || x > x1 || y < y0 || y > y1) return false;
    const dx = Math.max(x0 + r - x, 0, x - (x1 - r));
    const dy = Math.max(y0 + r - y, 0, y - (y1 - r));
    return dx * dx + dy * dy <= r * r;
  };
}

function triangle(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): Shape {
  const side = (px: number, py: number, qx: number, qy: number, x: number, y: number) =>
    (qx - px) * (y - py) - (qy - py) * (x - px);
  return (x, y) => {
    const d1 = side(ax, ay, bx, by, x, y);
    const d2 = side(bx, by, cx, cy, x, y);
    const d3 = side(cx, cy, ax, ay, x, y);
    return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
  };
}

const union =
  (...shapes: Shape[]): Shape =>
  (x, y) =>
    shapes.some((s) => s(x, y));

/** Speech bubble with a plus: the chat and the clinic, in unit coordinates. */
function bubble(inset = 0): Shape {
  return union(
    roundedRect(0.18 + inset, 0.22 + inset, 0.82 - inset, 0.68 - inset, Math.max(0.12 - inset, 0.02)),
    triangle(0.3 + inset, 0.64 - inset, 0.3 + inset, 0.84 - inset * 2.2, 0.48 - inset, 0.64 - inset),
  );
}
/** A plus centred in the bubble: half-length `arm`, bar width `bar`. */
function plus(arm: number, bar: number): Shape {
  const cx = 0.5;
  const cy = 0.45;
  return union(
    roundedRect(cx - bar / 2, cy - arm, cx + bar / 2, cy + arm, bar / 6),
    roundedRect(cx - arm, cy - bar / 2, cx + arm, cy + bar / 2, bar / 6),
  );
}

/** Paint layers (shape, colour) with 4x4 supersampling. */
function paint(size: number, layers: Array<[Shape, [number, number, number, number]]>): Buffer {
  const out = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (px + (sx + 0.5) / n) / size;
          const y = (py + (sy + 0.5) / n) / size;
          let colour: [number, number, number, number] = [0, 0, 0, 0];
          for (const [shape, c] of layers) if (shape(x, y)) colour = c;
          r += colour[0] * colour[3];
          g += colour[1] * colour[3];
          b += colour[2] * colour[3];
          a += colour[3];
        }
      }
      const i = (py * size + px) * 4;
      out[i + 3] = Math.round((a / (n * n)) * 255);
      out[i] = a ? Math.round(r / a) : 0;
      out[i + 1] = a ? Math.round(g / a) : 0;
      out[i + 2] = a ? Math.round(b / a) : 0;
    }
  }
  return out;
}

function rgb(hex: string): [number, number, number, number] {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16), 1];
}

/** Draw color.png (clinic colours) and outline.png (white on transparent). */
export function drawIcons(clinic: Clinic): { color: Buffer; outline: Buffer } {
  const primary = rgb(clinic.webchat.primaryColour);
  const white: [number, number, number, number] = [255, 255, 255, 1];
  const all: Shape = () => true;
  const color = paint(ICONS.color.size, [
    [all, primary],
    [bubble(), white],
    [plus(0.15, 0.1), primary],
  ]);
  // The outline: the bubble's rim and the plus, white; everything else transparent. Pixels are
  // white wherever they are visible (only their opacity varies at the edges).
  const stroke = 2.5 / ICONS.outline.size;
  const outer = bubble();
  const inner = bubble(stroke);
  const rim: Shape = (x, y) => outer(x, y) && !inner(x, y);
  const outline = paint(ICONS.outline.size, [[union(rim, plus(0.1, 3 / ICONS.outline.size)), white]]);
  for (let i = 0; i < outline.length; i += 4) outline.fill(255, i, i + 3);
  return {
    color: encodePng(ICONS.color.size, ICONS.color.size, color),
    outline: encodePng(ICONS.outline.size, ICONS.outline.size, outline),
  };
}

interface YazlZipFile {
  addBuffer(buffer: Buffer, name: string, options?: { mtime?: Date; mode?: number }): void;
  end(): void;
  outputStream: NodeJS.ReadableStream;
}

async function writeZip(file: string, entries: Array<[string, Buffer]>): Promise<void> {
  const yazl = require('yazl') as { ZipFile: new () => YazlZipFile };
  const zip = new yazl.ZipFile();
  for (const [name, data] of entries) zip.addBuffer(data, name, { mtime: FIXED_MTIME, mode: 0o100644 });
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file);
    out.on('close', () => resolve());
    out.on('error', reject);
    zip.outputStream.on('error', reject).pipe(out);
  });
}

function argument(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  const environment = readEnvironment(ROOT);
  const appPackageDir = path.resolve(argument(args, '--app-package') ?? APP_PACKAGE_DIR);
  const knowledgeDir = path.resolve(ROOT, environment.KNOWLEDGE_DIR || 'knowledge');
  try {
    if (args.includes('--icons')) {
      const icons = drawIcons(readClinic(knowledgeDir));
      writeFileSync(path.join(appPackageDir, ICONS.color.file), icons.color);
      writeFileSync(path.join(appPackageDir, ICONS.outline.file), icons.outline);
      console.log(
        `Drew ${ICONS.color.file} and ${ICONS.outline.file} in ${path.relative(ROOT, appPackageDir) || '.'}`,
      );
    }
    const result = await buildTeamsPackage({
      appPackageDir,
      outDir: argument(args, '--out') ? path.resolve(argument(args, '--out') as string) : undefined,
      env: argument(args, '--env'),
      environment,
      knowledgeDir,
    });
    for (const warning of result.warnings) console.warn(`warning: ${warning}`);
    console.log(`Manifest valid (schema ${String(result.manifest.manifestVersion)}).`);
    console.log(`Wrote ${path.relative(ROOT, result.zipPath)}`);
    return 0;
  } catch (error) {
    if (error instanceof PackageError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
