/**
 * One registry of error codes. Logs carry the code and ids; patients read staff-written text from
 * knowledge/ (the key named here), never a developer message or a stack trace.
 */
export const ErrorCodes = {
  TURN_FAILED: { code: 'BOT_TURN_FAILED', patientKey: 'system.error' },
  STORAGE_UNAVAILABLE: { code: 'STORAGE_UNAVAILABLE', patientKey: 'system.storage_unavailable' },
  STATE_CONFLICT: { code: 'STATE_CONFLICT', patientKey: 'system.error' },
  HANDOFF_WEBHOOK_FAILED: { code: 'HANDOFF_WEBHOOK_FAILED', patientKey: undefined },
  /** A stored conversation record could not be read; the conversation starts afresh. */
  STATE_UNREADABLE: { code: 'STATE_UNREADABLE', patientKey: undefined },
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]['code'];

/** An error that carries a code from the registry. */
export class BotError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BotError';
  }
}

/** The code of any thrown value: a BotError's own, otherwise the generic turn failure. */
export function codeOf(error: unknown): ErrorCode {
  return error instanceof BotError ? error.code : ErrorCodes.TURN_FAILED.code;
}
