/**
 * Structured logs (pino): JSON in production, human-readable in development.
 * Patient messages are health data: log ids, intents, codes, timings and outcomes, never message
 * text. The one exception is `transcript()`, which writes only when an operator switches
 * TRANSCRIPT_LOGGING on.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  /** Where to write (tests pass a stream that collects lines). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    base: { service: 'clinic-bot' },
    // Belt and braces: fields that could carry patient text are never printed, whoever passes them.
    redact: { paths: ['text', '*.text', 'activity.text', 'message', 'body'], censor: '[redacted]' },
  };
  if (options.pretty && !options.destination) {
    return pino(
      base,
      pretty({
        colorize: process.stdout.isTTY,
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname,service',
      }),
    );
  }
  return pino(base, options.destination ?? pino.destination({ dest: 1, sync: false }));
}

/** Writes patient text only when transcript logging is switched on. */
export function createTranscriptLogger(logger: Logger, enabled: boolean) {
  return (conversationId: string, direction: 'in' | 'out', text: string): void => {
    if (!enabled) return;
    logger.info({ conversationId, direction, transcript: text }, 'transcript');
  };
}
