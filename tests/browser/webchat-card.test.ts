/**
 * In headless Chromium (Debian's `chromium`, driven by playwright-core), used by keyboard alone:
 * the answer card of an emergency (its level in words, tel: buttons, a screenshot in artifacts/),
 * axe-core finding no serious or critical accessibility problem, the "call us" box when the
 * assistant cannot be reached and the chat working again by itself afterwards, and "forget me"
 * clearing the chat on the page.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { telUrl } from '../../src/bot/cards.js';
import { mountWebChat } from '../../src/channels/directline.js';
import { DOWN_AFTER_MS, PING_MS } from '../../src/channels/webchat-page.js';
import { renderEntry, renderText } from '../../src/knowledge/render.js';
import { ROOT, startService, type Running } from '../helpers/service.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'artifacts');
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) {
  throw new Error(`${CHROMIUM} is missing: CI must install it first (apt-get install -y chromium).`);
}
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

describe.skipIf(!available)(
  'web chat: the answer card, accessibility, the server-down box, forget me',
  () => {
    let app: Running;
    let browser: Browser;
    let page: Page;
    const text = (key: string) => renderText(app.service.knowledge, key);
    const plain = (s: string) => s.replace(/[‘’]/g, "'").replace(/\s+/g, ' ').trim();
    const botTexts = async () =>
      (
        await page
          .locator('.webchat__bubble:not(.webchat__bubble--from-user) .webchat__bubble__content')
          .allInnerTexts()
      ).map(plain);
    const userTexts = async () =>
      (await page.locator('.webchat__bubble--from-user .webchat__bubble__content').allInnerTexts()).map(
        plain,
      );
    /** Type in the send box and press Enter, by keyboard only (the page focuses the send box). */
    const say = async (message: string) => {
      await page.keyboard.type(message);
      await page.keyboard.press('Enter');
    };
    /** axe-core in the page (evaluated over the debugging protocol, so the page's CSP is untouched). */
    const axe = async (): Promise<AxeViolation[]> => {
      await page.evaluate(AXE_SOURCE);
      const violations = (await page.evaluate(
        `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`,
      )) as AxeViolation[];
      return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    };

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      app = await startService(
        { WEBCHAT_ENABLED: 'false' },
        { mount: (server, parts) => mountWebChat(server, parts) },
      );
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-sync',
        ],
      });
      page = await browser.newPage({ viewport: { width: 480, height: 900 } });
      // Record what the card's buttons open (a tel: link cannot be followed in a test browser).
      await page.addInitScript({
        content: `window.__opened = []; window.open = (url) => { window.__opened.push(String(url)); return null; };`,
      });
      await page.goto(`${app.url}/`);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await app?.close();
    });

    it('when the page has loaded, then the welcome shows and axe-core finds no serious or critical problem', async () => {
      await expect
        .poll(botTexts, { timeout: 20_000 })
        .toContainEqual(expect.stringContaining(plain(text('welcome.intro')).slice(0, 40)));
      expect(await axe()).toEqual([]);
    });

    it('when a warning sign is typed, then one emergency card shows its level in words first, with tel: buttons that work by keyboard', async () => {
      await say('I wet myself and my back is agony');
      const card = page
        .locator('.ac-adaptiveCard')
        .filter({ hasText: plain(text('card.headline.emergency')).slice(0, 30) });
      await card.first().waitFor({ state: 'visible', timeout: 15_000 });
      const cardText = plain(await card.first().innerText());
      expect(cardText).toContain(plain(text('card.headline.emergency')));
      // The buttons: the emergency number first, then the clinic.
      const buttons = card.first().locator('button, [role="button"]');
      const labels = (await buttons.allInnerTexts()).map(plain);
      expect(labels[0]).toBe(plain(text('card.call_emergency')));
      expect(labels).toContain(plain(text('card.call_clinic')));
      await card.first().screenshot({ path: path.join(ARTIFACTS, 'webchat-4-disposition-card.png') });
      await page.screenshot({ path: path.join(ARTIFACTS, 'webchat-4-disposition-page.png') });

      // Keyboard only, from the send box: Shift+Tab to the transcript, Enter to go into the latest
      // activity (the card; its first button gets focus), Enter opens tel:<emergency number>; Tab to
      // the clinic's button, Enter opens tel:<clinic phone>.
      const focused = () =>
        page.evaluate(
          `(() => { const e = document.activeElement; return e ? { cls: String(e.className || ''), text: e.innerText || '' } : null; })()`,
        ) as Promise<{ cls: string; text: string } | null>;
      for (let i = 0; i < 8; i++) {
        await page.keyboard.press('Shift+Tab');
        const f = await focused();
        if (/(^| )webchat__basic-transcript( |$)/.test(f?.cls ?? '')) break;
      }
      await page.keyboard.press('Enter');
      expect(plain((await focused())?.text ?? '')).toBe(plain(text('card.call_emergency')));
      await page.keyboard.press('Enter');
      const emergency = telUrl(app.service.knowledge.clinic.emergencyNumber);
      await expect.poll(() => page.evaluate('window.__opened')).toEqual([emergency]);
      await page.keyboard.press('Tab');
      expect(plain((await focused())?.text ?? '')).toBe(plain(text('card.call_clinic')));
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.evaluate('window.__opened'))
        .toEqual([emergency, telUrl(app.service.knowledge.clinic.phone)]);

      // With the card on screen the page still has no serious or critical accessibility problem.
      expect(await axe()).toEqual([]);
    }, 60_000);

    it('when the assistant cannot be reached, then the box with the clinic phone and the emergency number shows within seconds, and the chat works again by itself', async () => {
      const box = page.locator('#webchat-unavailable');
      expect(await box.isHidden()).toBe(true);
      const blocked = (url: URL) => url.pathname === '/healthz' || url.pathname.startsWith('/v3/directline');
      await page.route(blocked, (route) => route.abort('connectionrefused'));
      const lostAt = Date.now();
      await box.waitFor({ state: 'visible', timeout: DOWN_AFTER_MS + 3 * PING_MS + 2_000 });
      const shownAfter = Date.now() - lostAt;
      const hrefs = await box.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      expect(hrefs).toEqual([
        telUrl(app.service.knowledge.clinic.phone),
        telUrl(app.service.knowledge.clinic.emergencyNumber),
      ]);
      await page.screenshot({ path: path.join(ARTIFACTS, 'webchat-5-unreachable.png') });
      console.log(`BOX shown ${shownAfter} ms after the server became unreachable`);

      await page.unroute(blocked);
      await box.waitFor({ state: 'hidden', timeout: 3 * PING_MS + 5_000 });
      // Reconnected by itself, to the same conversation (no second welcome): a message typed now is answered.
      const welcomes = async () =>
        (await botTexts()).filter((t) => t.includes(plain(text('welcome.intro')).slice(0, 40))).length;
      expect(await welcomes()).toBe(1);
      await page
        .locator('.webchat__send-box-text-box__input, .webchat__send-box-text-box__html-text-area')
        .first()
        .focus();
      await say('what is sciatica?');
      const answer = plain(renderEntry(app.service.knowledge, 'sciatica')).slice(0, 40);
      await expect.poll(botTexts, { timeout: 15_000 }).toContainEqual(expect.stringContaining(answer));
      expect(await welcomes()).toBe(1);
    }, 60_000);

    it('when the patient says "forget me", then the chat on the page is cleared down to the confirmation', async () => {
      expect((await userTexts()).length).toBeGreaterThan(0);
      await page
        .locator('.webchat__send-box-text-box__input, .webchat__send-box-text-box__html-text-area')
        .first()
        .focus();
      await say('forget me');
      await expect
        .poll(botTexts, { timeout: 15_000 })
        .toEqual([expect.stringContaining(plain(text('dialog.forgotten')).slice(0, 30))]);
      expect(await userTexts()).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, 'webchat-6-forgotten.png') });
      // The chat goes on afterwards, afresh, in the same page.
      await say('what is sciatica?');
      const answer = plain(renderEntry(app.service.knowledge, 'sciatica')).slice(0, 40);
      await expect.poll(botTexts, { timeout: 15_000 }).toContainEqual(expect.stringContaining(answer));
    }, 60_000);
  },
);
