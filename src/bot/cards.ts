/**
 * The answer card: the replies the dialog says for a disposition (a headline key, "why I say
 * this" and its reasons, self-care advice, the safety-net signs, "what next" with its choices)
 * become ONE Adaptive Card, built here in the presentation layer from the reply keys. The dialog
 * keeps saying keys; it does not know about cards.
 *
 * What the card holds, in order: the level as one coloured sentence that starts with the level in
 * words (colour is never the only signal), one line on what to do now, the buttons (tel: links for
 * the emergency number and the clinic, book), "why" in one or two reasons, the signs to watch for.
 * Emergency cards are red-tinted, larger, and are moved before anything else said in the turn.
 *
 * Contradictions are left out: the "book if not better in 4 to 6 weeks" review line belongs to
 * self-care only, so a "see a clinician in the next few days" card does not carry it.
 *
 * Every wording comes from knowledge/ (messages/card.yaml for the card's own lines); a channel
 * without cards gets the same content as plain text.
 */
import type { Attachment } from 'botbuilder';
import type { Level } from '../../dialogs/types.js';
import type { Knowledge } from '../knowledge/load.js';
import { type RenderedChoice, type RenderedReply, renderText } from '../knowledge/render.js';

/** Headline keys the dialog says, and the level each one means. */
export const DISPOSITION_HEADLINES: Readonly<Record<string, Level>> = Object.freeze({
  'disposition.emergency': 'E',
  'escalate.emergency': 'E',
  'disposition.urgent': 'U',
  'escalate.urgent': 'U',
  'disposition.soon': 'S',
  'disposition.self_care': 'C',
});

const WHY_KEY = 'escalate.because';
const ADVICE_KEY = 'disposition.self_care_advice';
const NEXT_KEY = 'disposition.next_steps';
const SAFETY_INTRO = 'safety.intro';
const SAFETY_EMERGENCY = 'safety.emergency_signs';
const SAFETY_URGENT = 'safety.urgent_signs';
const SAFETY_REVIEW = 'safety.review';
const BOOKING_PAYLOAD = 'open:booking';

/** Replies that belong to the card after its headline. */
export function isDispositionPart(key: string): boolean {
  return (
    key === WHY_KEY ||
    key === ADVICE_KEY ||
    key === NEXT_KEY ||
    key.startsWith('reason.') ||
    key.startsWith('triage.reason_') ||
    key.startsWith('safety.')
  );
}

const LEVEL_WORD: Record<Level, string> = { E: 'emergency', U: 'urgent', S: 'soon', C: 'self_care' };

/** The card's own message keys (the content linter requires each one). */
export const CARD_MESSAGE_KEYS: readonly string[] = [
  ...Object.values(LEVEL_WORD).flatMap((w) => [`card.headline.${w}`, `card.do.${w}`]),
  'card.call_emergency',
  'card.call_clinic',
];

/** Adaptive Card container style and the host-config colour of the headline, per level. */
const STYLE: Record<Level, { container: string; size: string }> = {
  E: { container: 'attention', size: 'Large' },
  U: { container: 'warning', size: 'Medium' },
  S: { container: 'accent', size: 'Medium' },
  C: { container: 'good', size: 'Medium' },
};

/** Which buttons each level offers, most important first. */
const BUTTONS: Record<Level, ReadonlyArray<'emergency' | 'clinic' | 'book'>> = {
  E: ['emergency', 'clinic'],
  U: ['clinic', 'book', 'emergency'],
  S: ['book', 'clinic'],
  C: ['book', 'clinic'],
};

/** Safety-net parts shown per level (the review line only for self-care: see the file comment). */
const SAFETY: Record<Level, readonly string[]> = {
  E: [],
  U: [SAFETY_EMERGENCY],
  S: [SAFETY_EMERGENCY, SAFETY_URGENT],
  C: [SAFETY_EMERGENCY, SAFETY_URGENT, SAFETY_REVIEW],
};

export interface LinkAction {
  kind: 'emergency' | 'clinic' | 'book';
  label: string;
  url: string;
}

/** A disposition as the card and its plain-text twin show it. */
export interface DispositionView {
  level: Level;
  headline: string;
  todo: string;
  actions: LinkAction[];
  whyLabel?: string;
  /** One or two reasons, in the order the triage table gave them. */
  why: string[];
  /** Self-care advice (self-care only). */
  advice?: string;
  /** Blocks of the safety net: a lead line and its list items. */
  safety: Array<{ lead: string; items: string[] }>;
  note?: string;
  /** The dialog's other choices (talk to the front desk, topics): shown as buttons by the channel. */
  choices: RenderedChoice[];
}

/** `tel:` link for a number as people write it ("020 7946 0321" -> tel:02079460321). */
export function telUrl(number: string): string | undefined {
  const digits = number.replace(/[\s().-]/g, '');
  return /^\+?\d{2,15}$/.test(digits) ? `tel:${digits}` : undefined;
}

/** A block of text as its lead line and its "- " list items. */
function splitList(text: string): { lead: string; items: string[] } {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const items = lines.filter((l) => l.startsWith('- ')).map((l) => l.slice(2).trim());
  const lead = lines.filter((l) => !l.startsWith('- ')).join(' ');
  return { lead, items };
}

/** Build the view of a disposition from its rendered replies (headline first). */
export function dispositionView(knowledge: Knowledge, group: readonly RenderedReply[]): DispositionView {
  const level = DISPOSITION_HEADLINES[group[0]!.key]!;
  const word = LEVEL_WORD[level];
  const byKey = new Map(group.map((r) => [r.key, r]));
  const clinic = knowledge.clinic;
  const choices = group.flatMap((r) => r.choices);
  const booking = choices.find((c) => c.payload === BOOKING_PAYLOAD);
  const actions: LinkAction[] = [];
  for (const kind of BUTTONS[level]) {
    if (kind === 'emergency') {
      const url = telUrl(clinic.emergencyNumber);
      if (url) actions.push({ kind, label: renderText(knowledge, 'card.call_emergency'), url });
    } else if (kind === 'clinic') {
      const url = telUrl(clinic.phone);
      if (url) actions.push({ kind, label: renderText(knowledge, 'card.call_clinic'), url });
    } else {
      const url = booking?.url ?? clinic.bookingUrl;
      const label = booking?.label ?? renderText(knowledge, 'choice.open_booking');
      if (url) actions.push({ kind, label, url });
    }
  }
  const reasons = group.filter((r) => r.key.startsWith('reason.') || r.key.startsWith('triage.reason_'));
  return {
    level,
    headline: renderText(knowledge, `card.headline.${word}`),
    todo: renderText(knowledge, `card.do.${word}`),
    actions,
    ...(reasons.length > 0 ? { whyLabel: byKey.get(WHY_KEY)?.text ?? renderText(knowledge, WHY_KEY) } : {}),
    why: reasons.slice(0, 2).map((r) => r.text),
    ...(level === 'C' && byKey.has(ADVICE_KEY) ? { advice: byKey.get(ADVICE_KEY)!.text } : {}),
    safety: SAFETY[level]
      .map((key) => byKey.get(key)?.text ?? (level === 'E' ? undefined : renderText(knowledge, key)))
      .filter((t): t is string => !!t)
      .map(splitList),
    ...(level !== 'E' ? { note: byKey.get(SAFETY_INTRO)?.text ?? renderText(knowledge, SAFETY_INTRO) } : {}),
    choices: choices.filter((c) => c.payload !== BOOKING_PAYLOAD),
  };
}

/** The same content as plain text, for channels without cards (and the card's fallbackText). */
export function dispositionText(view: DispositionView): string {
  const parts: string[] = [view.headline, view.todo];
  parts.push(
    view.actions.map((a) => `- ${a.label}: ${a.url.startsWith('tel:') ? a.url.slice(4) : a.url}`).join('\n'),
  );
  if (view.whyLabel && view.why.length > 0) parts.push(`${view.whyLabel} ${view.why.join(' ')}`);
  if (view.advice) parts.push(view.advice);
  for (const block of view.safety)
    parts.push([block.lead, ...block.items.map((i) => `- ${i}`)].filter(Boolean).join('\n'));
  if (view.note) parts.push(view.note);
  return parts.filter(Boolean).join('\n\n');
}

const text = (value: string, extra: Record<string, unknown> = {}) => ({
  type: 'TextBlock',
  text: value,
  wrap: true,
  ...extra,
});

/** The Adaptive Card (schema 1.5: Teams and Web Chat render it). */
export function dispositionCard(
  view: DispositionView,
  extraActions: Array<Record<string, unknown>> = [],
): Attachment {
  const style = STYLE[view.level];
  const body: Array<Record<string, unknown>> = [
    {
      type: 'Container',
      style: style.container,
      bleed: true,
      items: [
        text(view.headline, { weight: 'Bolder', size: style.size, style: 'heading' }),
        text(view.todo, { spacing: 'Small' }),
      ],
    },
  ];
  if (view.whyLabel && view.why.length > 0) {
    body.push(text(view.whyLabel, { weight: 'Bolder', spacing: 'Medium' }));
    body.push(text(view.why.join(' '), { spacing: 'Small' }));
  }
  if (view.advice) {
    const advice = splitList(view.advice);
    body.push(text(advice.lead, { weight: 'Bolder', spacing: 'Medium' }));
    for (const item of advice.items) body.push(text(`• ${item}`, { spacing: 'None' }));
  }
  for (const block of view.safety) {
    body.push(text(block.lead, { weight: 'Bolder', spacing: 'Medium' }));
    for (const item of block.items) body.push(text(`• ${item}`, { spacing: 'None' }));
  }
  if (view.note) body.push(text(view.note, { isSubtle: true, size: 'Small', spacing: 'Medium' }));
  const actions = [
    ...view.actions.map((a, i) => ({
      type: 'Action.OpenUrl',
      title: a.label,
      url: a.url,
      // The first button of an emergency is the red one; otherwise the first is the main one.
      ...(i === 0 ? { style: view.level === 'E' ? 'destructive' : 'positive' } : {}),
    })),
    ...extraActions,
  ];
  return {
    contentType: 'application/vnd.microsoft.card.adaptive',
    content: {
      type: 'AdaptiveCard',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      version: '1.5',
      speak: view.headline,
      fallbackText: dispositionText(view),
      body,
      actions,
    },
  };
}
