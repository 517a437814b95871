/**
 * Schemas of the files clinic staff edit under knowledge/. Messages are written for staff: each
 * says what is wrong in plain words; the loader adds the file, the entry and the fix.
 */
import { z } from 'zod';
import { CONVERSATIONAL_INTENTS } from '../../dialogs/types.js';

export const FORMAT_VERSION = 1;

export const ASPECT_HEADINGS = {
  More: 'more',
  Symptoms: 'symptoms',
  Causes: 'causes',
  Diagnosis: 'diagnosis',
  Treatment: 'treatment',
  Outlook: 'outlook',
  Serious: 'serious',
  Prevention: 'prevention',
} as const;

export const TOPIC_TYPES = ['condition', 'cause', 'symptom', 'diagnosis', 'treatment', 'faq', 'front-desk'] as const;

const text = z.string({ error: 'must be text' }).trim().min(1, { error: 'must not be empty' });
const idPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const sourceSchema = z.union(
  [
    z.object({ seed: text }).strict(),
    z.object({ guideline: text }).strict(),
    z.object({ clinic: text }).strict(),
  ],
  { error: 'each source must be one line: "- seed: <file>", "- guideline: <name>" or "- clinic: clinic.yaml"' },
);

export const topicFrontMatterSchema = z
  .object({
    format: z.literal(FORMAT_VERSION, { error: `must be ${FORMAT_VERSION}` }),
    id: z.string().regex(idPattern, { error: 'must be lower-case words joined by hyphens, e.g. herniated-disc' }),
    type: z.enum(TOPIC_TYPES, { error: `must be one of: ${TOPIC_TYPES.join(', ')}` }),
    title: text,
    examples: z.array(text, { error: 'must be a list of example questions' }).min(8, {
      error: 'needs at least 8 example questions',
    }),
    keywords: z.array(text, { error: 'must be a list' }).default([]),
    related: z.array(text, { error: 'must be a list of entry ids' }).default([]),
    sources: z.array(sourceSchema, { error: 'must be a list' }).min(1, { error: 'needs at least one source' }),
  })
  .strict();

export const messagesFileSchema = z
  .object({
    format: z.literal(FORMAT_VERSION, { error: `must be ${FORMAT_VERSION}` }),
    messages: z.record(
      z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/, {
        error: 'keys are dotted lower-case words, e.g. triage.ask_bladder',
      }),
      text,
      { error: 'must be a map of key: text' },
    ),
  })
  .strict();

const hours = z
  .string()
  .regex(/^(closed|\d{2}:\d{2}-\d{2}:\d{2})$/, { error: 'must be "HH:MM-HH:MM" (24-hour clock) or "closed"' });

export const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

export const clinicSchema = z
  .object({
    format: z.literal(FORMAT_VERSION, { error: `must be ${FORMAT_VERSION}` }),
    name: text,
    phone: text,
    email: text,
    website: z.url({ error: 'must be a full web address starting with https://' }),
    emergencyNumber: text,
    urgentLine: text,
    bookingUrl: z.url({ error: 'must be a full web address starting with https://' }),
    address: text,
    parking: text,
    timezone: text.refine(
      (tz) => {
        try {
          new Intl.DateTimeFormat('en-GB', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      },
      { error: 'must be a time zone name such as Europe/London or America/New_York' },
    ),
    openingHours: z.object(Object.fromEntries(DAYS.map((d) => [d, hours])) as Record<(typeof DAYS)[number], typeof hours>),
    languages: z.array(text).min(1, { error: 'list at least one language' }),
    referralRequired: z.boolean({ error: 'must be true or false' }),
    referralNote: text,
    cancellationNotice: text,
    webchat: z
      .object({
        primaryColour: z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'must be a colour like "#1f6f78"' }),
        accentColour: z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'must be a colour like "#f2a541"' }),
        avatarInitials: z.string().min(1).max(3, { error: 'use 1 to 3 letters' }),
      })
      .strict(),
  })
  .strict();

export type Clinic = z.infer<typeof clinicSchema>;

export const INTENT_NAMES = CONVERSATIONAL_INTENTS;

export type ConversationalIntent = (typeof INTENT_NAMES)[number];

export const intentsFileSchema = z
  .object({
    format: z.literal(FORMAT_VERSION, { error: `must be ${FORMAT_VERSION}` }),
    intents: z
      .object(
        Object.fromEntries(
          INTENT_NAMES.map((name) => [
            name,
            z
              .object({
                examples: z.array(text).min(8, { error: 'needs at least 8 examples' }),
              })
              .strict(),
          ]),
        ) as Record<ConversationalIntent, z.ZodObject<{ examples: z.ZodArray<typeof text> }>>,
      )
      .strict(),
    out_of_scope: z.object({ examples: z.array(text).min(20, { error: 'needs at least 20 examples' }) }).strict(),
  })
  .strict();

/** Turn a zod issue path and message into a sentence for staff. */
export function describeIssue(issue: z.core.$ZodIssue, missing = issue.input === undefined): string {
  const where = issue.path.length ? `"${issue.path.join('.')}" ` : '';
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  // zod does not keep the input on issues: the caller says whether the field is really absent.
  if (issue.code === 'invalid_type' && missing) return `${where}is missing`;
  return `${where}${issue.message}`;
}
