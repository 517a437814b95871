/**
 * Message keys and event names the hosting code uses besides the dialog's (plain constants, no
 * botbuilder or restify, so the content checker in src/knowledge can require the keys).
 */

/** The welcome's "About your data" button (knowledge/messages/card.yaml). */
export const PRIVACY_BUTTON = 'welcome.privacy_button';

/** The event activity that tells a web chat channel and page to forget the conversation's transcript. */
export const FORGET_EVENT = 'clinic.forgotten';

/** What the web chat page shows when the assistant cannot be reached (knowledge/messages/card.yaml). */
export const PAGE_MESSAGE_KEYS: readonly string[] = [
  'webchat.unreachable_title',
  'webchat.unreachable_call',
  'webchat.unreachable_emergency',
  'webchat.reconnecting',
];
