/**
 * The web chat channel: a local Direct Line 3.0-compatible endpoint on the bot's own server, the
 * page token route, and (with WEBCHAT_DIRECTLINE_SECRET) the server-side exchange with Azure.
 *
 * Why a local Direct Line, and why it needs no Azure:
 * - The official Web Chat speaks only Direct Line. Rather than a custom client or a fork, we serve
 *   the few Direct Line 3.0 routes the UNMODIFIED client uses in polling mode (start conversation,
 *   post activity, get activities after a watermark, refresh token) from this server, and point
 *   `createDirectLine({ domain })` at them. Web Chat cannot tell it is not talking to Azure.
 * - A posted activity is handed to the bot in-process with deliveryMode `expectReplies`: the turn's
 *   replies come back in memory and are appended to the conversation's activity log, which the
 *   client polls. No serviceUrl callback, no Bot Framework token, no Azure Bot registration.
 * - Tokens are JWTs (HS256, a random per-process secret or WEBCHAT_TOKEN_SECRET) that name ONE
 *   conversation and one user (`conv`, `user` claims, as Azure's tokens do, so Web Chat reads the
 *   user id from them). They expire (default 30 minutes); the client renews them every 15 minutes.
 *
 * Production with Azure Bot Service: set WEBCHAT_DIRECTLINE_SECRET. The page then asks OUR token
 * route, which exchanges the secret for a conversation token with
 * `POST https://directline.botframework.com/v3/directline/tokens/generate` (secret in the
 * Authorization header, server to server); the page only ever sees the short-lived token and talks
 * to Azure's Direct Line directly. The local Direct Line routes are then not served.
 *
 * Limits: text size per message, requests per conversation and per IP, new conversations per IP,
 * activities kept per conversation, idle conversations evicted, a cap on live conversations.
 * Conversations live in this process's memory, or with REDIS_URL in Redis (directline-state.ts),
 * where every replica serves every poll and a restart loses nothing; the rate limits are then
 * shared too (rate-limits.ts). Replicas must share WEBCHAT_TOKEN_SECRET to accept each other's tokens.
 */
import { createHmac, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import {
  type Activity,
  type ActivityHandler,
  type ChannelAccount,
  type CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type TurnContext,
} from 'botbuilder';
import { ClaimsIdentity } from 'botframework-connector';
import type { Redis } from 'ioredis';
import type { Request, Response, Server } from 'restify';
import { FORGET_EVENT } from '../bot/host-messages.js';
import type { Knowledge } from '../knowledge/load.js';
import type { Logger } from '../logger.js';
import {
  type DirectLineState,
  type DlConversation,
  MemoryDirectLineState,
  RedisDirectLineState,
} from './directline-state.js';
import { clientAddress, type Limit, memoryLimit, redisLimit } from './rate-limits.js';
import { mountWebChatPage } from './webchat-page.js';

export { RateLimiter } from './rate-limits.js';

/** Settings from configuration (see .env.example, WEBCHAT_*). */
export interface WebChatSettings {
  /** Serve the page, the token route and the local Direct Line. Off: every route answers 404. */
  enabled: boolean;
  tokenTtlSeconds: number;
  /** HMAC secret for local tokens; a random one per process when unset. */
  tokenSecret?: string;
  /** Largest message text accepted, in UTF-8 bytes. */
  maxTextBytes: number;
  /** Requests per minute for one conversation (the client polls once a second). */
  ratePerMinute: number;
  /** Requests per minute from one IP address, all conversations together. */
  ipRatePerMinute: number;
  /** New conversations (tokens) per minute from one IP address. */
  tokensPerIpPerMinute: number;
  /** Activities kept per conversation; older ones are dropped. */
  maxActivities: number;
  /** Conversations with no request for this long are forgotten. */
  idleMinutes: number;
  /** Live conversations at most; beyond it new ones get 503. */
  maxConversations: number;
  /**
   * Reverse proxies in front of the bot that append to X-Forwarded-For (0: none, use the socket
   * address). Only that many entries from the right are trusted.
   */
  trustProxy: number;
  /** Azure Bot Service Direct Line secret: when set, tokens come from Azure, not from us. */
  directLineSecret?: string;
  directLineDomain: string;
}

export const WEBCHAT_DEFAULTS: Readonly<WebChatSettings> = Object.freeze({
  enabled: true,
  tokenTtlSeconds: 1800,
  maxTextBytes: 4096,
  ratePerMinute: 120,
  ipRatePerMinute: 600,
  tokensPerIpPerMinute: 10,
  maxActivities: 100,
  idleMinutes: 60,
  maxConversations: 2000,
  trustProxy: 0,
  directLineDomain: 'https://directline.botframework.com/v3/directline',
});

export interface WebChatOptions extends Partial<WebChatSettings> {
  /** Bot Framework settings (config.botAuth): in-process turns work with or without an app id. */
  botAuth?: {
    MicrosoftAppType?: string;
    MicrosoftAppId?: string;
    MicrosoftAppPassword?: string;
    MicrosoftAppTenantId?: string;
  };
  clock?: () => number;
  randomBytes?: (size: number) => Buffer;
  /** For the Azure token exchange (tests pass a stub). */
  fetch?: typeof fetch;
  /** With REDIS_URL: rate limits (and Direct Line conversations) shared by every replica. */
  redis?: Redis;
}

export interface WebChatParts {
  adapter: CloudAdapter;
  bot: ActivityHandler;
  knowledge: Knowledge;
  log: Logger;
}

export const DIRECTLINE_PATH = '/v3/directline';
export const TOKEN_PATH = '/api/webchat/token';
/** Never called: replies travel back in memory (expectReplies). */
const LOCAL_SERVICE_URL = 'http://localhost/local-directline';
const CHANNEL_ID = 'webchat';
/** Room for ids, locale and channelData around the text. */
const ENVELOPE_BYTES = 8192;
/** A button's value (messageBack, postBack) is a small payload. */
const MAX_VALUE_CHARS = 1024;
const LOCALE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Mount the web chat page, the token route and the local Direct Line (or nothing, when disabled). */
export function mountWebChat(server: Server, parts: WebChatParts, options: WebChatOptions = {}): void {
  const {
    botAuth,
    clock: givenClock,
    randomBytes: givenRandom,
    fetch: givenFetch,
    redis,
    ...given
  } = options;
  const settings: WebChatSettings = { ...WEBCHAT_DEFAULTS, ...definedOnly(given) };
  if (!settings.enabled) return;
  const clock = givenClock ?? Date.now;
  const random = givenRandom ?? cryptoRandomBytes;
  const azure = Boolean(settings.directLineSecret);

  mountWebChatPage(server, parts.knowledge, {
    tokenUrl: TOKEN_PATH,
    connectSources: azure ? azureConnectSources(settings.directLineDomain) : [],
    randomBytes: random,
  });

  const makeLimit = (name: string, perMinute: number): Limit =>
    redis ? redisLimit(redis, name, perMinute) : memoryLimit(perMinute, clock);
  const limits = {
    ip: makeLimit('ip', settings.ipRatePerMinute),
    tokens: makeLimit('tokens', settings.tokensPerIpPerMinute),
    conversation: makeLimit('conv', settings.ratePerMinute),
  };
  const clientIp = (req: Request): string => clientAddress(req, settings.trustProxy);

  if (azure) {
    const exchange = azureTokenExchange(settings, givenFetch ?? fetch, random);
    server.post(
      TOKEN_PATH,
      route(parts.log, async (req, res) => {
        await limit(limits.ip, `ip:${clientIp(req)}`);
        await limit(limits.tokens, `new:${clientIp(req)}`);
        res.json(await exchange());
      }),
    );
    parts.log.info({ domain: settings.directLineDomain }, 'web chat uses Azure Direct Line');
    return;
  }

  const stateLimits = {
    maxActivities: settings.maxActivities,
    idleMs: settings.idleMinutes * 60_000,
    maxConversations: settings.maxConversations,
  };
  const state: DirectLineState = redis
    ? unavailableAs503(new RedisDirectLineState(redis, stateLimits, clock), parts.log)
    : new MemoryDirectLineState(stateLimits, clock, (id) =>
        parts.log.info({ conversationId: id, channel: CHANNEL_ID }, 'idle web chat conversation forgotten'),
      );
  const directLine = new LocalDirectLine(parts, settings, clock, random, botAuth ?? {}, state);
  const issue = route(parts.log, async (req, res) => {
    await limit(limits.ip, `ip:${clientIp(req)}`);
    await limit(limits.tokens, `new:${clientIp(req)}`);
    res.json(directLine.issueToken());
  });
  server.post(TOKEN_PATH, issue);
  server.post(`${DIRECTLINE_PATH}/tokens/generate`, issue);

  const authed = (
    handler: (req: Request, res: Response, claims: TokenClaims) => Promise<void>,
  ): ((req: Request, res: Response) => Promise<void>) =>
    route(parts.log, async (req, res) => {
      await limit(limits.ip, `ip:${clientIp(req)}`);
      const claims = directLine.authenticate(req);
      const param = (req.params as Record<string, string> | undefined)?.conversationId;
      if (param !== undefined && param !== claims.conv) {
        throw new HttpError(403, 'TokenNotForConversation', 'This token belongs to another conversation.');
      }
      await limit(limits.conversation, `conv:${claims.conv}`);
      await handler(req, res, claims);
    });

  server.post(
    `${DIRECTLINE_PATH}/tokens/refresh`,
    authed(async (_req, res, claims) => {
      res.json(directLine.refresh(claims));
    }),
  );
  server.post(
    `${DIRECTLINE_PATH}/conversations`,
    authed(async (req, res, claims) => {
      const { created, body } = await directLine.start(claims, req.body);
      res.status(created ? 201 : 200);
      res.json(body);
    }),
  );
  server.get(
    `${DIRECTLINE_PATH}/conversations/:conversationId`,
    authed(async (_req, res, claims) => {
      res.json(await directLine.reconnect(claims));
    }),
  );
  server.get(
    `${DIRECTLINE_PATH}/conversations/:conversationId/activities`,
    authed(async (req, res, claims) => {
      const query = req.query as Record<string, unknown> | undefined;
      res.json(await directLine.activities(claims, query?.watermark));
    }),
  );
  server.post(
    `${DIRECTLINE_PATH}/conversations/:conversationId/activities`,
    authed(async (req, res, claims) => {
      res.json(await directLine.post(claims, req.body));
    }),
  );
  parts.log.info({ path: DIRECTLINE_PATH }, 'web chat uses the local Direct Line');
}

interface TokenClaims {
  iss: string;
  conv: string;
  user: string;
  iat: number;
  exp: number;
}

type AuthResult = Exclude<Parameters<CloudAdapter['processActivityDirect']>[0], string>;

class LocalDirectLine {
  private readonly tokens: TokenSigner;
  /** Turns of one conversation run one after the other (in this process). */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly bot: ChannelAccount;
  private readonly auth: AuthResult;

  constructor(
    private readonly parts: WebChatParts,
    private readonly settings: WebChatSettings,
    private readonly clock: () => number,
    private readonly random: (size: number) => Buffer,
    botAuth: NonNullable<WebChatOptions['botAuth']>,
    private readonly state: DirectLineState,
  ) {
    this.tokens = new TokenSigner(
      settings.tokenSecret ? Buffer.from(settings.tokenSecret, 'utf8') : random(32),
      settings.tokenTtlSeconds,
      clock,
    );
    const appId = botAuth.MicrosoftAppId;
    this.bot = { id: appId || 'clinic-bot', name: parts.knowledge.clinic.name, role: 'bot' };
    // The activity never crossed a network, so there is no inbound token to check: the identity is
    // the bot's own, as the SDK does for its in-process named-pipe channel. This works whether or
    // not MicrosoftAppId is set (adapter.process would demand a Bot Framework token when it is).
    const claimsIdentity = appId
      ? new ClaimsIdentity([
          { type: 'aud', value: appId },
          { type: 'appid', value: appId },
        ])
      : new ClaimsIdentity([]);
    const connectorAuth = new ConfigurationBotFrameworkAuthentication({
      MicrosoftAppType: botAuth.MicrosoftAppType,
      MicrosoftAppId: appId,
      MicrosoftAppPassword: botAuth.MicrosoftAppPassword,
      MicrosoftAppTenantId: botAuth.MicrosoftAppTenantId,
    });
    this.auth = {
      audience: undefined as unknown as string,
      callerId: undefined,
      claimsIdentity,
      connectorFactory: connectorAuth.createConnectorFactory(claimsIdentity),
    };
  }

  issueToken(): { conversationId: string; token: string; expires_in: number } {
    const conv = `dl-${this.random(16).toString('base64url')}`;
    const user = `dl_${this.random(12).toString('base64url')}`;
    return this.tokenFor(conv, user);
  }

  authenticate(req: Request): TokenClaims {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new HttpError(
        401,
        'TokenMissing',
        'Send the conversation token as "Authorization: Bearer <token>".',
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    }
    return this.tokens.verify(match[1]);
  }

  refresh(claims: TokenClaims): { conversationId: string; token: string; expires_in: number } {
    return this.tokenFor(claims.conv, claims.user);
  }

  async start(
    claims: TokenClaims,
    body: unknown,
  ): Promise<{ created: boolean; body: { conversationId: string; token: string; expires_in: number } }> {
    const requested = isObject(body) && typeof body.locale === 'string' ? body.locale : undefined;
    const conversation: DlConversation = {
      id: claims.conv,
      userId: claims.user,
      ...(requested && LOCALE.test(requested) ? { locale: requested } : {}),
    };
    const outcome = await this.state.create(conversation);
    if (outcome === 'exists') return { created: false, body: this.tokenFor(claims.conv, claims.user) };
    if (outcome === 'full') {
      throw new HttpError(503, 'TooManyConversations', 'The chat is busy. Please try again in a minute.', {
        'Retry-After': '60',
      });
    }
    this.parts.log.info(
      { conversationId: conversation.id, channel: CHANNEL_ID },
      'web chat conversation started',
    );
    // The welcome: the user joined, as a channel says with a conversationUpdate.
    const update = {
      ...this.envelope(conversation),
      type: 'conversationUpdate',
      id: `${conversation.id}|start`,
      membersAdded: [{ ...this.bot }, { id: conversation.userId, role: 'user' }],
    };
    try {
      await this.enqueue(conversation.id, async () =>
        this.append(conversation, await this.turn(update), update.id),
      );
    } catch (error) {
      this.parts.log.error(
        { conversationId: conversation.id, err: { name: (error as Error)?.name } },
        'web chat welcome failed',
      );
    }
    return { created: true, body: this.tokenFor(claims.conv, claims.user) };
  }

  async reconnect(
    claims: TokenClaims,
  ): Promise<{ conversationId: string; token: string; expires_in: number }> {
    await this.conversation(claims.conv);
    return this.tokenFor(claims.conv, claims.user);
  }

  async activities(
    claims: TokenClaims,
    watermark: unknown,
  ): Promise<{ activities: unknown[]; watermark: string }> {
    let after = -1;
    if (watermark !== undefined && watermark !== '') {
      if (typeof watermark !== 'string' || !/^\d{1,15}$/.test(watermark)) {
        throw new HttpError(400, 'BadArgument', 'The watermark must be a number from an earlier answer.');
      }
      after = Number(watermark);
    }
    await this.conversation(claims.conv);
    const { activities, last } = await this.state.after(claims.conv, after);
    return {
      activities,
      watermark: last === undefined ? (typeof watermark === 'string' ? watermark : '') : String(last),
    };
  }

  async post(claims: TokenClaims, body: unknown): Promise<{ id: string }> {
    const conversation = await this.conversation(claims.conv);
    if (!isObject(body)) throw new HttpError(400, 'BadArgument', 'The body must be a JSON activity.');
    if (Buffer.byteLength(JSON.stringify(body), 'utf8') > this.settings.maxTextBytes + ENVELOPE_BYTES) {
      throw new HttpError(413, 'MessageTooLarge', 'The activity is too large.');
    }
    if (body.type === 'typing') return { id: `${conversation.id}|typing` };
    if (body.type !== 'message') {
      throw new HttpError(400, 'BadArgument', 'Only message activities can be sent to this bot.');
    }
    if (body.text !== undefined && typeof body.text !== 'string') {
      throw new HttpError(400, 'BadArgument', 'The text must be a string.');
    }
    const text = (body.text as string | undefined) ?? '';
    if (Buffer.byteLength(text, 'utf8') > this.settings.maxTextBytes) {
      throw new HttpError(
        413,
        'MessageTooLarge',
        `Messages are limited to ${this.settings.maxTextBytes} bytes of text.`,
      );
    }
    const channelData = isObject(body.channelData) ? body.channelData : undefined;
    const clientActivityID =
      typeof channelData?.clientActivityID === 'string' && channelData.clientActivityID.length <= 100
        ? channelData.clientActivityID
        : undefined;
    const attachments = Array.isArray(body.attachments)
      ? body.attachments.slice(0, 10).map((a) => ({
          contentType:
            isObject(a) && typeof a.contentType === 'string' ? a.contentType.slice(0, 100) : 'unknown',
        }))
      : undefined;
    const locale =
      typeof body.locale === 'string' && LOCALE.test(body.locale) ? body.locale : conversation.locale;
    // The user's activity as stored and echoed: built from checked fields only, the sender from the token.
    const echo = (seq: number): Record<string, unknown> => ({
      ...this.envelope(conversation),
      type: 'message',
      id: activityId(conversation.id, seq),
      text,
      textFormat: 'plain',
      ...(locale ? { locale } : {}),
      ...(attachments?.length ? { attachments } : {}),
      ...(isObject(body.value) && JSON.stringify(body.value).length <= MAX_VALUE_CHARS
        ? { value: body.value }
        : {}),
      ...(clientActivityID ? { channelData: { clientActivityID } } : {}),
    });
    const seq = await this.state.append(conversation.id, [echo]);
    if (seq === undefined) {
      throw new HttpError(404, 'ConversationNotFound', 'This conversation has ended. Start a new one.');
    }
    const echoed = echo(seq);
    await this.enqueue(conversation.id, async () => {
      const replies = await this.turn({
        ...echoed,
        serviceUrl: LOCAL_SERVICE_URL,
        deliveryMode: 'expectReplies',
      });
      await this.append(conversation, replies, echoed.id as string);
    });
    return { id: echoed.id as string };
  }

  private tokenFor(
    conv: string,
    user: string,
  ): { conversationId: string; token: string; expires_in: number } {
    return {
      conversationId: conv,
      token: this.tokens.sign(conv, user),
      expires_in: this.settings.tokenTtlSeconds,
    };
  }

  private async conversation(id: string): Promise<DlConversation> {
    const conversation = await this.state.get(id);
    if (!conversation) {
      throw new HttpError(404, 'ConversationNotFound', 'This conversation has ended. Start a new one.');
    }
    return conversation;
  }

  /** Fields every activity of the conversation shares (from the user's side). */
  private envelope(conversation: DlConversation): Record<string, unknown> {
    return {
      channelId: CHANNEL_ID,
      timestamp: new Date(this.clock()).toISOString(),
      from: { id: conversation.userId, role: 'user' },
      recipient: { ...this.bot },
      conversation: { id: conversation.id },
      ...(conversation.locale ? { locale: conversation.locale } : {}),
    };
  }

  private async enqueue(conversationId: string, task: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(conversationId) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.catch(() => undefined);
    this.queues.set(conversationId, tail);
    void tail.then(() => {
      if (this.queues.get(conversationId) === tail) this.queues.delete(conversationId);
    });
    await run;
  }

  /** One bot turn, in-process; returns what the bot said. */
  private async turn(activity: Record<string, unknown>): Promise<Array<Partial<Activity>>> {
    // The context is revoked when the turn ends: keep its reply buffer, which also receives the
    // apology the adapter's turn-error handler sends.
    let replies: Array<Partial<Activity>> = [];
    await this.parts.adapter.processActivityDirect(
      this.auth,
      { serviceUrl: LOCAL_SERVICE_URL, deliveryMode: 'expectReplies', ...activity } as unknown as Activity,
      async (turnContext: TurnContext) => {
        replies = turnContext.bufferedReplyActivities;
        await this.parts.bot.run(turnContext);
      },
    );
    return [...replies];
  }

  private async append(
    conversation: DlConversation,
    replies: Array<Partial<Activity>>,
    replyToId: string,
  ): Promise<void> {
    // "Forget me": the bot deleted its record; drop the transcript kept here too (the page is
    // told by the same event and clears its screen). Only the replies of this turn remain.
    if (replies.some((r) => r.type === 'event' && r.name === FORGET_EVENT)) {
      await this.state.clear(conversation.id);
      this.parts.log.info(
        { conversationId: conversation.id, channel: CHANNEL_ID },
        'web chat transcript forgotten',
      );
    }
    const build = replies
      .filter(
        (reply) => reply.type && ['message', 'typing', 'event', 'endOfConversation'].includes(reply.type),
      )
      .map((reply) => {
        const { serviceUrl: _s, deliveryMode: _d, ...rest } = reply;
        return (seq: number): Record<string, unknown> => ({
          ...rest,
          id: activityId(conversation.id, seq),
          timestamp: new Date(this.clock()).toISOString(),
          channelId: CHANNEL_ID,
          from: { ...this.bot },
          recipient: { id: conversation.userId, role: 'user' },
          conversation: { id: conversation.id },
          replyToId,
        });
      });
    if (build.length > 0) await this.state.append(conversation.id, build);
  }
}

/** Redis failing is a 503 the page retries, with one log line, not a 500. */
function unavailableAs503(state: DirectLineState, log: Logger): DirectLineState {
  const guard =
    <A extends unknown[], R>(op: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await op(...args);
      } catch (error) {
        log.warn(
          { code: 'STORAGE_UNAVAILABLE', channel: CHANNEL_ID, err: { name: (error as Error)?.name } },
          'web chat state unavailable',
        );
        throw new HttpError(
          503,
          'ChatUnavailable',
          'The chat is unavailable for a moment. Please try again.',
          {
            'Retry-After': '5',
          },
        );
      }
    };
  return {
    create: guard((c: DlConversation) => state.create(c)),
    get: guard((id: string) => state.get(id)),
    append: guard((id: string, build: Array<(seq: number) => Record<string, unknown>>) =>
      state.append(id, build),
    ),
    after: guard((id: string, seq: number) => state.after(id, seq)),
    clear: guard((id: string) => state.clear(id)),
  };
}

function activityId(conversationId: string, seq: number): string {
  return `${conversationId}|${String(seq).padStart(7, '0')}`;
}

/** HS256 JSON Web Tokens naming one conversation and one user. */
class TokenSigner {
  private static readonly ISSUER = 'clinic-bot/directline';
  private static readonly HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString(
    'base64url',
  );

  constructor(
    private readonly secret: Buffer,
    private readonly ttlSeconds: number,
    private readonly clock: () => number,
  ) {}

  sign(conv: string, user: string): string {
    const iat = Math.floor(this.clock() / 1000);
    const claims: TokenClaims = { iss: TokenSigner.ISSUER, conv, user, iat, exp: iat + this.ttlSeconds };
    const body = `${TokenSigner.HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  verify(token: string): TokenClaims {
    const invalid = new HttpError(403, 'TokenInvalid', 'The token is not valid. Start a new conversation.');
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== TokenSigner.HEADER) throw invalid;
    const given = Buffer.from(parts[2] ?? '', 'base64url');
    const expected = this.mac(`${parts[0]}.${parts[1]}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
    } catch {
      throw invalid;
    }
    if (
      !isObject(claims) ||
      claims.iss !== TokenSigner.ISSUER ||
      typeof claims.conv !== 'string' ||
      typeof claims.user !== 'string' ||
      typeof claims.exp !== 'number'
    ) {
      throw invalid;
    }
    if (this.clock() >= claims.exp * 1000) {
      throw new HttpError(403, 'TokenExpired', 'The token has expired. Start a new conversation.');
    }
    return claims as unknown as TokenClaims;
  }

  private mac(data: string): Buffer {
    return createHmac('sha256', this.secret).update(data).digest();
  }
}

async function limit(limiter: Limit, key: string): Promise<void> {
  const wait = await limiter.take(key);
  if (wait !== undefined) {
    throw new HttpError(429, 'TooManyRequests', 'Too many requests. Please slow down.', {
      'Retry-After': String(wait),
    });
  }
}

/** The server-side token exchange with Azure Bot Service's Direct Line: the secret never reaches the page. */
function azureTokenExchange(
  settings: WebChatSettings,
  fetchImpl: typeof fetch,
  random: (size: number) => Buffer,
): () => Promise<Record<string, unknown>> {
  return async () => {
    const userId = `dl_${random(12).toString('base64url')}`;
    let response: globalThis.Response;
    try {
      response = await fetchImpl(`${settings.directLineDomain}/tokens/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${settings.directLineSecret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: { id: userId } }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      throw new HttpError(502, 'DirectLineUnavailable', 'The chat service cannot be reached right now.');
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok || !isObject(body) || typeof body.token !== 'string') {
      throw new HttpError(502, 'DirectLineUnavailable', 'The chat service cannot be reached right now.');
    }
    return {
      token: body.token,
      conversationId: body.conversationId,
      expires_in: body.expires_in,
      domain: settings.directLineDomain,
      webSocket: true,
    };
  };
}

/** The origins the page may connect to in Azure mode (REST and the WebSocket stream). */
function azureConnectSources(domain: string): string[] {
  const url = new URL(domain);
  return [url.origin, `wss://${url.host}`];
}

function route(
  log: Logger,
  handler: (req: Request, res: Response) => Promise<void>,
): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    try {
      await handler(req, res);
    } catch (error) {
      if (error instanceof HttpError) {
        for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
        if (error.status === 429 || error.status >= 500) {
          log.warn(
            { code: error.code, status: error.status, route: req.getRoute?.()?.path },
            'web chat request refused',
          );
        }
        res.status(error.status);
        res.json({ error: { code: error.code, message: error.message } });
        return;
      }
      log.error(
        { route: req.getRoute?.()?.path, err: { name: (error as Error)?.name } },
        'web chat request failed',
      );
      res.status(500);
      res.json({ error: { code: 'InternalError', message: 'Something went wrong on our side.' } });
    }
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
