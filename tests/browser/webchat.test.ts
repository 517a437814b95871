/**
 * End to end in headless Chromium (Debian's `chromium` package, driven by playwright-core; no
 * browser download): the page loads the official Web Chat from our server, the bot's welcome
 * shows, a typed question gets its reply, a suggested action is clicked and its reply shows, and
 * nothing was requested from another host. Screenshots go to artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Brain, BrainResult, TurnInput } from '../../src/bot/brain.js';
import { createClinicBrain } from '../../src/bot/clinic-brain.js';
import { loadNlu } from '../../src/nlu/load.js';
import { mountWebChat } from '../../src/channels/directline.js';
import { renderReply } from '../../src/knowledge/render.js';
import { REAL_KNOWLEDGE, ROOT, startService, type Running } from '../helpers/service.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'artifacts');
const available = existsSync(CHROMIUM);

if (!available && process.env.CI) {
  throw new Error(`${CHROMIUM} is missing: CI must install it first (apt-get install -y chromium).`);
}
if (!available) {
  console.warn(`Skipping the browser test: ${CHROMIUM} is not installed (apt-get install -y chromium).`);
}

interface Turn {
  input: TurnInput;
  result: BrainResult;
}

/** The real brain, recording each turn so the test knows what the bot decided to say. */
function recordingBrain(turns: Turn[]): Brain {
  const { knowledge, model } = loadNlu(REAL_KNOWLEDGE);
  const inner = createClinicBrain({ knowledge, nlu: model });
  return {
    turn(record, input, now) {
      const result = inner.turn(record, input, now);
      turns.push({ input, result });
      return result;
    },
  };
}

describe.skipIf(!available)('web chat in headless Chromium', () => {
  const turns: Turn[] = [];
  let app: Running;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    app = await startService(
      { WEBCHAT_ENABLED: 'false' },
      { brain: recordingBrain(turns), mount: (server, parts) => mountWebChat(server, parts) },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 480, height: 800 } });
    page.on('request', (request) => requested.push(request.url()));
    // Record Content-Security-Policy violations: the page must work under its own policy.
    // (A string: the test's TypeScript has no DOM types.)
    await page.addInitScript({
      content: `window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`,
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Web Chat renders markdown with typographic quotes; compare plain text. */
  const plain = (text: string) =>
    text.replace(/[‘’]/g, "'").replace(/[“”]/g, '"').replace(/\s+/g, ' ').trim();
  /** Texts of the bot's messages on screen. */
  const botTexts = async () =>
    (
      await page
        .locator('.webchat__bubble:not(.webchat__bubble--from-user) .webchat__bubble__content')
        .allInnerTexts()
    ).map(plain);
  const userTexts = async () =>
    (await page.locator('.webchat__bubble--from-user .webchat__bubble__content').allInnerTexts()).map(plain);

  it('loads the page, shows the welcome, answers a typed question, answers a clicked suggested action, and loads nothing from another host', async () => {
    const knowledge = app.service.knowledge;
    /** The first line of what the bot said in a turn: enough to find it on screen, whatever the markdown. */
    const firstLine = (turn: Turn | undefined) =>
      plain(
        renderReply(knowledge, turn!.result.replies[0]!)
          .text.split('\n')[0]!
          .replace(/[*_`#]/g, ''),
      );

    await page.goto(`${app.url}/`);
    expect(await page.title()).toBe(knowledge.clinic.name);

    // The welcome, from the conversationUpdate the channel sends when the conversation starts.
    await expect.poll(() => turns.length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(turns[0]!.input.kind).toBe('joined');
    await expect
      .poll(botTexts, { timeout: 15_000 })
      .toContainEqual(expect.stringContaining(firstLine(turns[0])));
    await page.screenshot({ path: path.join(ARTIFACTS, 'webchat-1-welcome.png') });

    // A typed question: the bot answers the knowledge entry, and the answer shows.
    const question = 'what is sciatica?';
    const input = page
      .locator('.webchat__send-box-text-box__input, .webchat__send-box-text-box__html-text-area')
      .first();
    await input.fill(question);
    await input.press('Enter');
    await expect.poll(() => turns.length, { timeout: 10_000 }).toBe(2);
    expect(turns[1]!.input).toMatchObject({ kind: 'message', text: question });
    expect(turns[1]!.result.outcome.answered?.topic).toBe('sciatica');
    await expect
      .poll(botTexts, { timeout: 10_000 })
      .toContainEqual(expect.stringContaining(firstLine(turns[1])));
    await page.screenshot({ path: path.join(ARTIFACTS, 'webchat-2-reply.png') });

    // A suggested action: clicking it sends its label as the user's message, and the reply shows.
    const action = page.locator('.webchat__suggested-action').first();
    await action.waitFor({ state: 'visible', timeout: 10_000 });
    const choiceLabel = plain(await action.innerText());
    await action.click();
    await expect.poll(userTexts, { timeout: 10_000 }).toContainEqual(expect.stringContaining(choiceLabel));
    await expect.poll(() => turns.length, { timeout: 10_000 }).toBe(3);
    expect(plain((turns[2]!.input as { text: string }).text)).toBe(choiceLabel);
    // The click picked an offered choice: the bot did not treat it as something it could not understand.
    expect(turns[2]!.result.intent).not.toMatch(/unknown|out_of_scope/);
    await expect
      .poll(botTexts, { timeout: 10_000 })
      .toContainEqual(expect.stringContaining(firstLine(turns[2])));
    await page.screenshot({ path: path.join(ARTIFACTS, 'webchat-3-suggested-action.png') });

    // Everything came from our own origin, and the page ran under its policy without violations.
    const origin = new URL(app.url).origin;
    // blob: URLs the page makes itself carry its origin too: blob:http://127.0.0.1:port/<uuid>.
    const foreign = requested.filter(
      (url) =>
        !url.startsWith(`${origin}/`) && !url.startsWith(`blob:${origin}/`) && !url.startsWith('data:'),
    );
    expect(foreign, `requests to other hosts: ${foreign.join(', ')}`).toEqual([]);
    expect(requested.some((url) => url.includes('/v3/directline/conversations'))).toBe(true);
    expect(await page.evaluate('window.cspViolations')).toEqual([]);
    await expect.poll(() => page.locator('#webchat-unavailable').isHidden()).toBe(true);
  }, 60_000);
});
