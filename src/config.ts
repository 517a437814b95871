/**
 * Configuration: parsed once at start-up from the environment (and a local `.env` file), validated
 * against one schema, frozen. This is the only module that reads process.env.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import type { WebChatSettings } from './channels/directline.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
    error: 'must be true or false',
  })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const url = z.url({ error: 'must be a full URL such as https://example.org/path' });

const schema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], { error: 'must be development, production or test' })
    .default('development'),
  PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must be between 0 and 65535' })
    .max(65535, { error: 'must be between 0 and 65535' })
    .default(3978),
  /** Default: 127.0.0.1 without an app id (local use, unauthenticated), 0.0.0.0 with one. */
  HOST: z.string().optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).optional(),
  TRANSCRIPT_LOGGING: bool.default(false),

  MicrosoftAppType: z
    .enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI'], {
      error: 'must be MultiTenant, SingleTenant or UserAssignedMSI',
    })
    .default('MultiTenant'),
  MicrosoftAppId: z.string().optional(),
  MicrosoftAppPassword: z.string().optional(),
  MicrosoftAppTenantId: z.string().optional(),

  KNOWLEDGE_DIR: z.string().default('knowledge'),
  MODEL_CACHE_DIR: z.string().default('node_modules/.cache/clinic-bot'),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(10_000_000).default(262_144),
  HANDOFF_WEBHOOK_URL: url.optional(),
  TRANSCRIPT_SHARING: bool.default(false),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, { error: 'must start with redis:// or rediss://' })
    .optional(),
  STATE_TTL_HOURS: z.coerce
    .number({ error: 'must be a number' })
    .positive({ error: 'must be above 0' })
    .default(24),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  MEMORY_MAX_CONVERSATIONS: z.coerce.number().int().min(1).default(20_000),

  METRICS_TOKEN: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  AUDIT_SINK: z.enum(['file', 'redis', 'off'], { error: 'must be file, redis or off' }).optional(),
  AUDIT_DIR: z.string().default('data'),
  REVIEW_ENABLED: bool.default(false),
  REVIEW_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a number' })
    .positive({ error: 'must be above 0' })
    .max(365, { error: 'must be 365 or less' })
    .default(30),
  HANDOFF_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]{22,}={0,2}$/, {
      error: 'must be whsec_ followed by at least 16 random bytes in base64 (openssl rand -base64 32)',
    })
    .optional(),
  HANDOFF_CALLBACK: bool.default(true),
  TEAMS_WEBHOOK_URL: url.optional(),

  WEBCHAT_ENABLED: bool.default(true),
  WEBCHAT_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60, { error: 'must be at least 60' }).default(1800),
  WEBCHAT_TOKEN_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  WEBCHAT_MAX_TEXT_BYTES: z.coerce.number().int().min(64).max(65536).default(4096),
  WEBCHAT_RATE_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(90, { error: 'must be at least 90 (the web chat client polls every second)' })
    .default(120),
  WEBCHAT_IP_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  WEBCHAT_TOKENS_PER_IP_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  WEBCHAT_MAX_ACTIVITIES: z.coerce.number().int().min(10).default(100),
  WEBCHAT_IDLE_MINUTES: z.coerce.number().int().min(1).default(60),
  WEBCHAT_MAX_CONVERSATIONS: z.coerce.number().int().min(1).default(2000),
  WEBCHAT_TRUST_PROXY: z
    .string()
    .regex(/^(true|false|yes|no|on|off|[0-9])$/i, {
      error: 'must be false, true (one proxy) or the number of proxies in front of the bot (0-9)',
    })
    .default('false')
    .transform((v) => {
      const lower = v.toLowerCase();
      if (['false', 'no', 'off'].includes(lower)) return 0;
      if (['true', 'yes', 'on'].includes(lower)) return 1;
      return Number(lower);
    }),
  WEBCHAT_DIRECTLINE_SECRET: z.string().optional(),
  WEBCHAT_DIRECTLINE_DOMAIN: url.default('https://directline.botframework.com/v3/directline'),
});

type Parsed = z.infer<typeof schema>;

/** Rules that span keys; checked on the raw values so they are reported with every other problem. */
function crossFieldProblems(env: Record<string, string>): string[] {
  const problems: string[] = [];
  const type = env.MicrosoftAppType ?? 'MultiTenant';
  if (env.MicrosoftAppId && type !== 'UserAssignedMSI' && !env.MicrosoftAppPassword) {
    problems.push(
      'MicrosoftAppPassword is required when MicrosoftAppId is set (the client secret of the bot registration)',
    );
  }
  if (env.AUDIT_SINK === 'redis' && !env.REDIS_URL) {
    problems.push('AUDIT_SINK=redis needs REDIS_URL (or use AUDIT_SINK=file)');
  }
  if (env.AUDIT_SINK === 'off' && ['true', '1', 'yes', 'on'].includes(env.REVIEW_ENABLED ?? '')) {
    problems.push('REVIEW_ENABLED needs a sink to keep the questions in: set AUDIT_SINK to file or redis');
  }
  if (type === 'SingleTenant' && env.MicrosoftAppId && !env.MicrosoftAppTenantId) {
    problems.push('MicrosoftAppTenantId is required when MicrosoftAppType is SingleTenant');
  }
  return problems;
}

export interface Config {
  readonly env: Parsed['NODE_ENV'];
  readonly port: number;
  readonly host: string;
  readonly log: {
    readonly level: Parsed['LOG_LEVEL'];
    readonly pretty: boolean;
    readonly transcripts: boolean;
  };
  /** Bot Framework authentication settings, passed as they are to ConfigurationBotFrameworkAuthentication. */
  readonly botAuth: {
    readonly MicrosoftAppType: string;
    readonly MicrosoftAppId?: string;
    readonly MicrosoftAppPassword?: string;
    readonly MicrosoftAppTenantId?: string;
  };
  /** True when no app id is set: local use with the Emulator, the terminal chat or the Playground. */
  readonly authDisabled: boolean;
  readonly knowledgeDir: string;
  /** Where trained understanding models are kept between starts ("off" = always train). */
  readonly modelCacheDir?: string;
  readonly maxBodyBytes: number;
  readonly handoff: {
    readonly webhookUrl?: string;
    readonly shareTranscript: boolean;
    /** Standard Webhooks signing secret (whsec_...). */
    readonly secret?: string;
    /** Ask a name and a number for a call back (only when a webhook or Teams URL is set). */
    readonly callback: boolean;
    /** A Teams incoming-webhook URL that also gets each handoff. */
    readonly teamsUrl?: string;
  };
  /** GET /metrics bearer token; unset = no /metrics route. */
  readonly metrics: { readonly token?: string };
  /** Where audit events (and review entries) go; off = nowhere. */
  readonly audit: { readonly sink: 'file' | 'redis' | 'off'; readonly dir: string };
  readonly review: { readonly enabled: boolean; readonly retentionDays: number };
  readonly redisUrl?: string;
  readonly stateTtlSeconds: number;
  /** In-memory store only: conversations kept at most; the longest idle are dropped first. */
  readonly memoryMaxConversations: number;
  readonly shutdownGraceMs: number;
  /** The web chat page and the local Direct Line channel (src/channels/). */
  readonly webchat: WebChatSettings;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(
      `The configuration has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Empty values count as unset, so `.env.example` can list every key with an empty value. */
function dropEmpty(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && v.trim() !== '') out[k] = v.trim();
  }
  return out;
}

/** Parse an environment into a frozen Config; throws ConfigError listing every problem at once. */
export function parseConfig(env: Record<string, string | undefined>, baseDir = process.cwd()): Config {
  const raw = dropEmpty(env);
  const result = schema.safeParse(raw);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'} ${issue.message}`);
  problems.push(...crossFieldProblems(raw));
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const e = result.data;
  const config: Config = {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST ?? (e.MicrosoftAppId ? '0.0.0.0' : '127.0.0.1'),
    log: {
      level: e.LOG_LEVEL,
      pretty: e.LOG_FORMAT ? e.LOG_FORMAT === 'pretty' : e.NODE_ENV === 'development',
      transcripts: e.TRANSCRIPT_LOGGING,
    },
    botAuth: {
      MicrosoftAppType: e.MicrosoftAppType,
      MicrosoftAppId: e.MicrosoftAppId,
      MicrosoftAppPassword: e.MicrosoftAppPassword,
      MicrosoftAppTenantId: e.MicrosoftAppTenantId,
    },
    authDisabled: !e.MicrosoftAppId,
    knowledgeDir: path.resolve(baseDir, e.KNOWLEDGE_DIR),
    modelCacheDir: e.MODEL_CACHE_DIR === 'off' ? undefined : path.resolve(baseDir, e.MODEL_CACHE_DIR),
    maxBodyBytes: e.MAX_BODY_BYTES,
    handoff: {
      webhookUrl: e.HANDOFF_WEBHOOK_URL,
      shareTranscript: e.TRANSCRIPT_SHARING,
      secret: e.HANDOFF_WEBHOOK_SECRET,
      callback: e.HANDOFF_CALLBACK && !!(e.HANDOFF_WEBHOOK_URL || e.TEAMS_WEBHOOK_URL),
      teamsUrl: e.TEAMS_WEBHOOK_URL,
    },
    metrics: { token: e.METRICS_TOKEN },
    audit: {
      sink: e.AUDIT_SINK ?? (e.REDIS_URL ? 'redis' : 'file'),
      dir: path.resolve(baseDir, e.AUDIT_DIR),
    },
    review: { enabled: e.REVIEW_ENABLED, retentionDays: e.REVIEW_RETENTION_DAYS },
    redisUrl: e.REDIS_URL,
    stateTtlSeconds: Math.round(e.STATE_TTL_HOURS * 3600),
    memoryMaxConversations: e.MEMORY_MAX_CONVERSATIONS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    webchat: {
      enabled: e.WEBCHAT_ENABLED,
      tokenTtlSeconds: e.WEBCHAT_TOKEN_TTL_SECONDS,
      tokenSecret: e.WEBCHAT_TOKEN_SECRET,
      maxTextBytes: e.WEBCHAT_MAX_TEXT_BYTES,
      ratePerMinute: e.WEBCHAT_RATE_PER_MINUTE,
      ipRatePerMinute: e.WEBCHAT_IP_RATE_PER_MINUTE,
      tokensPerIpPerMinute: e.WEBCHAT_TOKENS_PER_IP_PER_MINUTE,
      maxActivities: e.WEBCHAT_MAX_ACTIVITIES,
      idleMinutes: e.WEBCHAT_IDLE_MINUTES,
      maxConversations: e.WEBCHAT_MAX_CONVERSATIONS,
      trustProxy: e.WEBCHAT_TRUST_PROXY,
      directLineSecret: e.WEBCHAT_DIRECTLINE_SECRET,
      directLineDomain: e.WEBCHAT_DIRECTLINE_DOMAIN,
    },
  };
  return deepFreeze(config);
}

/**
 * The process environment merged over a `.env` file in baseDir, if there is one. Real environment
 * variables win, as with dotenv.
 */
export function readEnvironment(baseDir = process.cwd()): Record<string, string | undefined> {
  const file = path.join(baseDir, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
