/**
 * Render replies (message keys + slots) into text and choices, from knowledge/. Pure.
 * Channel-specific shapes (suggested actions, cards, numbered plain text) are made by the bot layer
 * from a RenderedReply.
 */
import type { Aspect, Reply } from '../../dialogs/types.js';
import type { Knowledge } from './load.js';
import { DAYS, type Clinic } from './schema.js';

/** A rendered choice: the label the patient sees, the payload it sends back, and a link for open: payloads. */
export interface RenderedChoice {
  label: string;
  payload: string;
  url?: string;
}

export interface RenderedReply {
  key: string;
  text: string;
  choices: RenderedChoice[];
}

/** Names the code may fill in messages besides {clinic.*}. The content linter rejects others. */
export const RUNTIME_SLOTS = [
  'topic',
  'title',
  'entry',
  'section',
  'level',
  'reason',
  'reasons',
  'question',
  'options',
  'number',
  'score',
  'minutes',
  'count',
  'version',
  'ruleIds',
  'choices',
  'day',
  'time',
  'days',
] as const;

/** The special key whose text is a knowledge entry (slots: entry, section). */
export const ANSWER_KEY = 'kb.answer';
/** Label keys "kb.title.<entry id>" render as that entry's title. */
export const TITLE_KEY_PREFIX = 'kb.title.';

export class MissingMessageError extends Error {
  constructor(readonly key: string) {
    super(`No message "${key}" in knowledge/messages/`);
    this.name = 'MissingMessageError';
  }
}

export function renderReply(knowledge: Knowledge, reply: Reply): RenderedReply {
  const text =
    reply.key === ANSWER_KEY
      ? renderEntry(knowledge, String(reply.slots?.entry ?? ''), reply.slots?.section as Aspect | undefined)
      : renderText(knowledge, reply.key, reply.slots);
  const choices = (reply.choices ?? []).map((choice): RenderedChoice => {
    const label = renderLabel(knowledge, choice.labelKey);
    if (choice.payload === 'open:booking') return { label, payload: choice.payload, url: knowledge.clinic.bookingUrl };
    if (choice.payload === 'open:website') return { label, payload: choice.payload, url: knowledge.clinic.website };
    return { label, payload: choice.payload };
  });
  return { key: reply.key, text, choices };
}

export function renderLabel(knowledge: Knowledge, labelKey: string): string {
  if (labelKey.startsWith(TITLE_KEY_PREFIX)) {
    const entry = knowledge.topics.get(labelKey.slice(TITLE_KEY_PREFIX.length));
    if (!entry) throw new MissingMessageError(labelKey);
    return entry.title;
  }
  return renderText(knowledge, labelKey);
}

/** The text of a knowledge entry: its short answer, or one of its sections. */
export function renderEntry(knowledge: Knowledge, id: string, section?: Aspect): string {
  const entry = knowledge.topics.get(id);
  if (!entry) throw new MissingMessageError(`${ANSWER_KEY}:${id}`);
  const body = section ? (entry.sections[section] ?? entry.answer) : entry.answer;
  return fill(body, knowledge.clinic, knowledge);
}

export function renderText(knowledge: Knowledge, key: string, slots?: Record<string, string | number>): string {
  const template = knowledge.messages.get(key);
  if (template === undefined) throw new MissingMessageError(key);
  return fill(template, knowledge.clinic, knowledge, slots);
}

function fill(
  template: string,
  clinic: Clinic,
  knowledge: Knowledge,
  slots: Record<string, string | number> = {},
): string {
  const filled = template.replace(/\{([^{}]*)\}/g, (whole, rawName: string, offset: number) => {
    const name = rawName.trim();
    if (name.startsWith('clinic.')) {
      const value = clinicValue(clinic, name.slice('clinic.'.length), knowledge) ?? whole;
      if (!value.startsWith('- ')) return value;
      // A list (the opening hours) must stand on lines of its own to show as a list.
      const before = offset > 0 && template[offset - 1] !== '\n' ? '\n' : '';
      const next = template[offset + whole.length];
      const after = next !== undefined && next !== '\n' ? '\n\n' : '';
      return `${before}${value}${after}`;
    }
    const value = slots[name];
    return value === undefined ? '' : String(value);
  });
  return filled.replace(/\n\n[ \t]+/g, '\n\n');
}

function clinicValue(clinic: Clinic, field: string, knowledge: Knowledge): string | undefined {
  switch (field) {
    case 'hours':
      return formatHours(clinic, knowledge);
    case 'languages':
      return formatList(clinic.languages, knowledge);
    default: {
      const value = (clinic as Record<string, unknown>)[field];
      return typeof value === 'string' ? value : undefined;
    }
  }
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Opening hours as lines, grouping consecutive days with the same hours ("Monday to Tuesday: 08:00 to 18:00"). */
export function formatHours(clinic: Clinic, knowledge: Knowledge): string {
  const closed = knowledge.messages.get('format.closed') ?? 'closed';
  const to = knowledge.messages.get('format.to') ?? 'to';
  const lines: string[] = [];
  let i = 0;
  while (i < DAYS.length) {
    const day = DAYS[i]!;
    const hours = clinic.openingHours[day];
    let j = i;
    while (j + 1 < DAYS.length && clinic.openingHours[DAYS[j + 1]!] === hours) j++;
    const and = knowledge.messages.get('format.and') ?? 'and';
    const days =
      j === i ? capital(day) : `${capital(day)} ${j === i + 1 ? and : to} ${capital(DAYS[j]!)}`;
    const when = hours === 'closed' ? closed : hours.replace('-', ` ${to} `);
    lines.push(`- ${days}: ${when}`);
    i = j + 1;
  }
  return lines.join('\n');
}

function formatList(items: readonly string[], knowledge: Knowledge): string {
  const and = knowledge.messages.get('format.and') ?? 'and';
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${and} ${items[items.length - 1]}`;
}

/** Kept here for existing callers; the opening-hours logic lives in hours.ts. */
export { isClinicOpen } from './hours.js';
