/**
 * `GET /`: the clinic's chat page with Microsoft's official Web Chat, styled from the clinic
 * profile (knowledge/clinic.yaml: name, webchat colours and avatar initials). Everything the page
 * loads comes from this server: the Web Chat bundle from the installed npm package, the page's own
 * small script, and the conversation token. A strict Content-Security-Policy allows only 'self'
 * (plus a per-response nonce for the style elements Web Chat inserts, and Azure's Direct Line
 * origins when it is used).
 */
import { createHash, randomBytes as cryptoRandomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Request, Response, Server } from 'restify';
import { FORGET_EVENT, PAGE_MESSAGE_KEYS } from '../bot/host-messages.js';
import { ErrorCodes } from '../errors.js';
import type { Knowledge } from '../knowledge/load.js';
import { renderText } from '../knowledge/render.js';

/** How often the page checks the server, and after how long without an answer it shows the box. */
export const PING_MS = 2000;
export const PING_TIMEOUT_MS = 2500;
export const DOWN_AFTER_MS = 3000;

export interface WebChatPageOptions {
  /** Where the page gets its conversation token (POST). */
  tokenUrl: string;
  /** Extra origins the page may connect to (Azure Direct Line in production); 'self' always. */
  connectSources: string[];
  randomBytes?: (size: number) => Buffer;
}

/** The installed package's folder (its exports map hides package.json, so walk up from its entry). */
function packageDir(name: string): { dir: string; version: string } {
  let dir = path.dirname(createRequire(import.meta.url).resolve(name));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version: string };
      if (pkg.name === name) return { dir, version: pkg.version };
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the folder of the installed package ${name}`);
    dir = parent;
  }
}

const { dir: WEBCHAT_PACKAGE_DIR, version: WEBCHAT_VERSION } = packageDir('botframework-webchat');
/** The prebuilt browser bundle (UMD, sets window.WebChat). */
const WEBCHAT_BUNDLE = path.join(WEBCHAT_PACKAGE_DIR, 'dist', 'webchat.js');
/** Versioned, so it can be cached for a year. */
export const WEBCHAT_BUNDLE_PATH = `/webchat/webchat-${WEBCHAT_VERSION}.js`;

/**
 * The page's own script: fetch a token from our server, start Direct Line, render Web Chat.
 * Settings come from a JSON data block in the page; the style nonce from this script's own tag.
 */
const PAGE_SCRIPT = `(() => {
  'use strict';
  const config = JSON.parse(document.getElementById('webchat-config').textContent);
  const nonce = document.currentScript && document.currentScript.nonce;
  const box = document.getElementById('webchat-unavailable');
  const main = document.getElementById('webchat');
  const forgotten = new Set();
  let session; // { token, conversationId, domain, webSocket, lost }
  let directLine;
  let store;
  // The Direct Line connection must be made again once the server answers (polling stops for
  // good after a network error, and a restarted server has forgotten the conversation).
  let broken = false;
  let failingSince;
  let starting = false;

  const showBox = (on) => {
    if (box.hidden === on) box.hidden = !on;
  };
  let recent = [];
  const makeStore = () =>
    window.WebChat.createStore({}, () => (next) => (action) => {
      if (action.type === 'DIRECT_LINE/INCOMING_ACTIVITY') {
        const activity = action.payload && action.payload.activity;
        if (activity) recent = [...recent.slice(-9), activity];
        // "Forget me": the bot has deleted its record and the server its transcript; clear the screen.
        if (activity && activity.type === 'event' && activity.name === config.forgetEvent && !forgotten.has(activity.id)) {
          forgotten.add(activity.id);
          const confirmation = recent.filter(
            (a) => a.type === 'message' && a.replyToId === activity.replyToId && a.from && a.from.role === 'bot',
          );
          setTimeout(() => forget(confirmation), 0);
        }
      } else if (action.type === 'DIRECT_LINE/POST_ACTIVITY') {
        setTimeout(check, 0);
      } else if (action.type === 'DIRECT_LINE/POST_ACTIVITY_REJECTED') {
        broken = true;
        setTimeout(check, 0);
      }
      return next(action);
    });
  const connect = (resume, watermark) => {
    // Forget the old connection before ending it: its "Ended" status is not a failure.
    const previous = directLine;
    directLine = undefined;
    if (previous) previous.end();
    const dl = window.WebChat.createDirectLine({
      token: session.token,
      domain: session.domain,
      webSocket: session.webSocket,
      ...(resume ? { conversationId: session.conversationId } : {}),
      ...(watermark ? { watermark } : {}),
    });
    directLine = dl;
    dl.connectionStatus$.subscribe((status) => {
      if (dl !== directLine) return;
      // 3: ExpiredToken, 4: FailedToConnect, 5: Ended: start a new conversation when the server answers.
      if (status === 3 || status === 4 || status === 5) {
        broken = true;
        session.lost = true;
        setTimeout(check, 0);
      }
    });
    window.WebChat.renderWebChat({ directLine: dl, store, styleOptions: config.styleOptions, nonce }, main);
  };
  const newSession = () =>
    fetch(config.tokenUrl, { method: 'POST', credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then((response) => {
        if (!response.ok) throw new Error('token ' + response.status);
        return response.json();
      })
      .then((s) => {
        session = {
          token: s.token,
          conversationId: s.conversationId,
          domain: s.domain || location.origin + '/v3/directline',
          webSocket: Boolean(s.webSocket),
        };
        connect(false);
      });
  const currentToken = () => (directLine && directLine.token) || session.token;
  const currentWatermark = () => directLine && directLine.watermark;
  // A new, empty transcript on the same conversation, read from where it stands now (Azure's Direct
  // Line keeps its copy, so nothing earlier is fetched again), showing only the confirmation.
  const forget = (confirmation) => {
    session.token = currentToken();
    const watermark = currentWatermark();
    recent = [];
    store = makeStore();
    connect(true, watermark);
    for (const activity of confirmation) store.dispatch({ type: 'DIRECT_LINE/INCOMING_ACTIVITY', payload: { activity } });
  };
  const reconnect = () => {
    if (starting) return;
    broken = false;
    if (!session || session.lost) {
      starting = true;
      newSession()
        .catch(() => {
          broken = true;
          showBox(true);
        })
        .finally(() => {
          starting = false;
        });
      return;
    }
    session.token = currentToken();
    connect(true, currentWatermark());
  };
  const ping = () => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), config.pingTimeoutMs);
    return fetch(config.healthUrl, { cache: 'no-store', signal: abort.signal })
      .then((response) => response.ok)
      .catch(() => false)
      .finally(() => clearTimeout(timer));
  };
  const check = () =>
    ping().then((ok) => {
      if (ok) {
        failingSince = undefined;
        showBox(false);
        if (broken || !session) reconnect();
        return;
      }
      broken = true;
      if (failingSince === undefined) failingSince = Date.now();
      if (Date.now() - failingSince >= config.downAfterMs) showBox(true);
    });

  store = makeStore();
  starting = true;
  newSession()
    .then(() => document.querySelector('#webchat input, #webchat textarea')?.focus())
    .catch(() => {
      broken = true;
      showBox(true);
    })
    .finally(() => {
      starting = false;
    });
  setInterval(check, config.pingMs);
})();
`;
const PAGE_SCRIPT_PATH = `/webchat/page.${createHash('sha256').update(PAGE_SCRIPT).digest('hex').slice(0, 12)}.js`;

const ASSET_CACHE = 'public, max-age=31536000, immutable';

export function mountWebChatPage(server: Server, knowledge: Knowledge, options: WebChatPageOptions): void {
  const random = options.randomBytes ?? cryptoRandomBytes;
  const clinic = knowledge.clinic;
  const config = {
    tokenUrl: options.tokenUrl,
    healthUrl: '/healthz',
    forgetEvent: FORGET_EVENT,
    pingMs: PING_MS,
    pingTimeoutMs: PING_TIMEOUT_MS,
    downAfterMs: DOWN_AFTER_MS,
    styleOptions: styleOptionsFor(clinic.webchat),
  };
  // Shown when the chat cannot start (no script): the clinic's own words, with its numbers.
  const unavailableText = renderText(knowledge, ErrorCodes.STORAGE_UNAVAILABLE.patientKey);
  // Shown when the assistant cannot be reached: the same, with numbers that can be tapped.
  const unreachableHtml = unreachableBox(knowledge);

  server.get('/', async (_req: Request, res: Response) => {
    const nonce = random(16).toString('base64');
    const html = pageHtml({
      title: clinic.name,
      initials: clinic.webchat.avatarInitials,
      primary: clinic.webchat.primaryColour,
      accent: clinic.webchat.accentColour,
      unavailableText,
      unreachableHtml,
      config,
      nonce,
    });
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(html),
      'Cache-Control': 'no-store',
      'Content-Security-Policy': contentSecurityPolicy(
        nonce,
        options.connectSources,
        frameAncestor(clinic.website),
      ),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
    });
    res.end(html);
  });

  let bundle: { raw: Buffer; gzip: Buffer; etag: string } | undefined;
  server.get(WEBCHAT_BUNDLE_PATH, async (req: Request, res: Response) => {
    bundle ??= (() => {
      const raw = readFileSync(WEBCHAT_BUNDLE);
      return { raw, gzip: gzipSync(raw), etag: `"webchat-${WEBCHAT_VERSION}"` };
    })();
    sendAsset(req, res, bundle, 'application/javascript; charset=utf-8');
  });

  const script = {
    raw: Buffer.from(PAGE_SCRIPT),
    gzip: gzipSync(PAGE_SCRIPT),
    etag: `"${PAGE_SCRIPT_PATH}"`,
  };
  server.get(PAGE_SCRIPT_PATH, async (req: Request, res: Response) => {
    sendAsset(req, res, script, 'application/javascript; charset=utf-8');
  });
}

function sendAsset(
  req: Request,
  res: Response,
  asset: { raw: Buffer; gzip: Buffer; etag: string },
  contentType: string,
): void {
  const headers: Record<string, string | number> = {
    'Content-Type': contentType,
    'Cache-Control': ASSET_CACHE,
    ETag: asset.etag,
    Vary: 'Accept-Encoding',
    'X-Content-Type-Options': 'nosniff',
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzip : asset.raw;
  res.writeHead(200, {
    ...headers,
    ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    'Content-Length': body.length,
  });
  res.end(body);
}

/**
 * Web Chat 4.18 passes the nonce to its own style sheets but not to the one react-scroll-to-bottom
 * creates: an EMPTY <style> element that is then filled through the CSSOM (insertRule), which CSP
 * does not govern. Allowing exactly the hash of the empty string admits that element and nothing
 * with content, so no 'unsafe-inline' is needed.
 */
const EMPTY_STYLE_HASH = `'sha256-${createHash('sha256').update('').digest('base64')}'`;

export function contentSecurityPolicy(nonce: string, connectSources: string[], ancestor?: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}' ${EMPTY_STYLE_HASH}`,
    // Web Chat draws some images from blob: URLs it creates in the page itself.
    "img-src 'self' data: blob:",
    "font-src 'self'",
    ['connect-src', "'self'", ...connectSources].join(' '),
    // The clinic's own website may show the page in a frame; nobody else.
    ['frame-ancestors', "'self'", ...(ancestor ? [ancestor] : [])].join(' '),
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ].join('; ');
}

function frameAncestor(website: string): string | undefined {
  try {
    const url = new URL(website);
    return url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Web Chat's style options from the clinic profile. */
export function styleOptionsFor(webchat: {
  primaryColour: string;
  accentColour: string;
  avatarInitials: string;
}): Record<string, unknown> {
  const onPrimary = readableOn(webchat.primaryColour);
  return {
    accent: webchat.primaryColour,
    botAvatarInitials: webchat.avatarInitials,
    botAvatarBackgroundColor: webchat.primaryColour,
    bubbleFromUserBackground: webchat.primaryColour,
    bubbleFromUserBorderColor: webchat.primaryColour,
    bubbleFromUserTextColor: onPrimary,
    suggestedActionBorderColor: webchat.primaryColour,
    suggestedActionTextColor: webchat.primaryColour,
    suggestedActionBorderColorOnFocus: webchat.accentColour,
    suggestedActionLayout: 'flow',
    sendBoxButtonColor: webchat.primaryColour,
    sendBoxButtonColorOnHover: webchat.accentColour,
    hideUploadButton: true,
    rootHeight: '100%',
  };
}

/** Black or white, whichever reads better on the colour (WCAG relative luminance). */
export function readableOn(hex: string): '#ffffff' | '#111111' {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + i * 2, 3 + i * 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  const contrastWhite = 1.05 / (luminance + 0.05);
  const contrastBlack = (luminance + 0.05) / (0.0056 + 0.05);
  return contrastWhite >= contrastBlack ? '#ffffff' : '#111111';
}

function pageHtml(p: {
  title: string;
  initials: string;
  primary: string;
  accent: string;
  unavailableText: string;
  unreachableHtml: string;
  config: unknown;
  nonce: string;
}): string {
  const onPrimary = readableOn(p.primary);
  // `<` escaped so no text in the profile can close the data block.
  const configJson = JSON.stringify(p.config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(p.title)}</title>
<link rel="icon" href="data:,">
<style nonce="${p.nonce}">
  html, body { height: 100%; margin: 0; }
  body { display: flex; flex-direction: column; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f7f7f7; }
  .bar { display: flex; align-items: center; gap: .75rem; padding: .75rem 1rem; background: ${p.primary}; color: ${onPrimary}; border-bottom: 4px solid ${p.accent}; }
  .bar h1 { font-size: 1.1rem; margin: 0; font-weight: 600; }
  .avatar { display: inline-flex; align-items: center; justify-content: center; width: 2.25rem; height: 2.25rem; border-radius: 50%; background: ${p.accent}; color: ${readableOn(p.accent)}; font-weight: 700; }
  main { flex: 1; min-height: 0; max-width: 48rem; width: 100%; margin: 0 auto; background: #fff; }
  .unavailable { margin: 1rem; padding: 1rem; border-left: 4px solid ${p.accent}; background: #fff; }
  .unavailable p { margin: .25rem 0; }
  .unavailable a { color: #8a1c1c; font-weight: 700; }
  .unavailable[hidden] { display: none; }
</style>
</head>
<body>
<header class="bar"><span class="avatar" aria-hidden="true">${escapeHtml(p.initials)}</span><h1>${escapeHtml(p.title)}</h1></header>
<section id="webchat-unavailable" class="unavailable" role="alert" aria-label="${escapeHtml(p.title)}" hidden>${p.unreachableHtml}</section>
<main id="webchat" aria-label="${escapeHtml(p.title)}"></main>
<noscript><p class="unavailable">${escapeHtml(p.unavailableText)}</p></noscript>
<script type="application/json" id="webchat-config">${configJson}</script>
<script src="${WEBCHAT_BUNDLE_PATH}" nonce="${p.nonce}"></script>
<script src="${PAGE_SCRIPT_PATH}" nonce="${p.nonce}"></script>
</body>
</html>
`;
}

/** The box's paragraphs, the clinic phone and emergency number as tel: links. */
function unreachableBox(knowledge: Knowledge): string {
  const { phone, emergencyNumber } = knowledge.clinic;
  const link = (html: string, number: string): string => {
    const digits = number.replace(/[\s().-]/g, '');
    if (!/^\+?\d{2,15}$/.test(digits)) return html;
    const shown = escapeHtml(number);
    return html.split(shown).join(`<a href="tel:${digits}">${shown}</a>`);
  };
  return PAGE_MESSAGE_KEYS.map((key, i) => {
    let html = escapeHtml(renderText(knowledge, key));
    if (key.endsWith('_call')) html = link(html, phone);
    if (key.endsWith('_emergency')) html = link(html, emergencyNumber);
    return i === 0 ? `<p><strong>${html}</strong></p>` : `<p>${html}</p>`;
  }).join('');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
