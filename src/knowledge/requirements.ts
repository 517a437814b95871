/**
 * What the code needs from knowledge/: the message keys it says and the runtime slots it fills.
 * Used by the server at start-up and by `npm run kb:check`, so both judge content the same way.
 */
import { DIALOG_MESSAGE_KEYS } from '../../dialogs/conversation.machine.js';
import { ErrorCodes } from '../errors.js';
import type { LoadOptions } from './load.js';
import { RUNTIME_SLOTS } from './render.js';
import { CARD_MESSAGE_KEYS } from '../bot/cards.js';
import { PAGE_MESSAGE_KEYS, PRIVACY_BUTTON } from '../bot/host-messages.js';

/** Said after the welcome's data notice while the review loop is on (src/bot/clinic-brain.ts). */
export const REVIEW_NOTICE_KEY = 'welcome.privacy_review';

/** Message keys the hosting code itself says. */
export const HOST_MESSAGE_KEYS: readonly string[] = [
  ErrorCodes.TURN_FAILED.patientKey,
  ErrorCodes.STORAGE_UNAVAILABLE.patientKey,
  ...CARD_MESSAGE_KEYS,
  PRIVACY_BUTTON,
  ...PAGE_MESSAGE_KEYS,
  REVIEW_NOTICE_KEY,
];

export function contentRequirements(): LoadOptions {
  return { requiredKeys: [...HOST_MESSAGE_KEYS, ...DIALOG_MESSAGE_KEYS], runtimeSlots: RUNTIME_SLOTS };
}
