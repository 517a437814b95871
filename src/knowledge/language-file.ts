/**
 * The schema of knowledge/language.yaml, the staff-editable file of words: short answers,
 * follow-up aspects, option synonyms, retrieval synonyms and stopwords, qualifiers, the symptom
 * reader's words and the small words (negators, fillers, question openers) the readers share.
 * The readers that use them are in src/nlu/ (language.ts, retrieve.ts, symptom-report.ts).
 */
import { z } from 'zod';
import { normalize } from '../text/fold.js';


const phrases = z.array(z.string().trim().min(1)).min(1);

/** One word as the bot reads it: "don't" is read as "do not", so list "not" instead. */
const oneWord = z
  .string()
  .trim()
  .min(1)
  .refine((w) => /^[\p{L}\p{N}]+$/u.test(normalize(w)), {
    error: 'must be one word (a contraction such as "don\'t" is read as two words, "do not": list "not")',
  });
const words = z.array(oneWord).min(1);

export const symptomReportSchema = z
  .object({
    self: phrases,
    others: phrases,
    otherPronouns: z.object({ subject: phrases, object: phrases, possessive: phrases }).strict(),
    symptoms: phrases,
    body: phrases,
    requests: phrases,
    notNow: phrases,
    only: phrases,
    listRefs: phrases,
    /** Words that open a question, at the start or after a comma ("what", "could it", "is this"). */
    questionOpeners: phrases,
    /** Words that open a question only at the very start of a message ("is", "can"). */
    questionStarts: phrases,
    trend: z.object({ better: phrases, worse: phrases, notBetter: phrases }).strict(),
    /** Signals that are history, not a current sign: someone else's alone never escalates. */
    historySigns: z.array(z.string()),
    /** Clinical signal -> words that talk about it, in any polarity. */
    signs: z.record(z.string(), phrases),
  })
  .strict();

export type SymptomReportFile = z.infer<typeof symptomReportSchema>;

export const wordsSchema = z
  .object({
    /** Words that negate a following yes-cue ("I don't think I have"): "not", "no", "never". */
    negators: words,
    /** Leading words that do not change a short answer ("um no", "well yes"). */
    filler: words,
    /** Trailing words a short answer may carry ("no thanks", "yes please"). */
    trailing: words,
    /** Words that open a question when a clause starts with them ("where do I park"). */
    questionStarts: words,
    /** A message that is only this emoji is a yes or a no. */
    emojiAnswers: z
      .object({ affirm: z.array(z.string().trim().min(1)), deny: z.array(z.string().trim().min(1)) })
      .strict(),
  })
  .strict();

export type LanguageWords = z.infer<typeof wordsSchema>;


export const languageFileSchema = z
  .object({
    format: z.literal(1, { error: 'must be 1' }),
    answers: z.object({ affirm: phrases, deny: phrases, unsure: phrases }).strict(),
    aspects: z
      .object({
        treatment: phrases,
        serious: phrases,
        outlook: phrases,
        causes: phrases,
        symptoms: phrases,
        diagnosis: phrases,
        prevention: phrases,
        more: phrases,
      })
      .strict(),
    followUpPronouns: phrases,
    polarity: z.object({ negative: phrases, positive: phrases }).strict(),
    options: z.record(z.string().regex(/^[a-z0-9_]+$/), phrases),
    alsoAccepted: z.record(z.string(), z.array(z.string())).optional(),
    retrieval: z
      .object({
        stopwords: phrases,
        synonyms: z.array(phrases),
        afterTreatment: z.record(z.string(), z.string()).optional(),
        /** Words asking beyond the topic being discussed ("what else can cause it?", "any other causes?"). */
        otherThanThis: phrases.optional(),
        /** Words before a treatment the patient wants other than ("I don't want pills", "apart from surgery"). */
        excluding: phrases.optional(),
        questionTypes: z.record(
          z.string().regex(/^[a-z0-9_]+$/),
          z
            .object({
              asks: phrases,
              answers: phrases.optional(),
              section: z
                .enum([
                  'overview',
                  'more',
                  'symptoms',
                  'causes',
                  'diagnosis',
                  'treatment',
                  'outlook',
                  'serious',
                  'prevention',
                ])
                .optional(),
            })
            .strict(),
        ),
      })
      .strict()
      .optional(),
    qualifiers: z
      .record(
        z.string().regex(/^[a-z0-9_]+$/),
        z
          .object({
            words: phrases,
            about: z.array(z.string()).optional(),
            /** Words that show the qualifier does not apply ("should I bring my scan results?"). */
            unless: phrases.optional(),
            /** The qualifier's reply comes first, then the general answer (it applies, but not to them). */
            thenAnswer: z.boolean().optional(),
          })
          .strict(),
      )
      .optional(),
    /** Words that show a message describes symptoms (src/nlu/symptom-report.ts). */
    symptomReport: symptomReportSchema.optional(),
    /** Small words the short-answer and statement readers use (src/nlu/language.ts). */
    words: wordsSchema,
    /** Words for where the pain is, by body area (src/nlu/entities.ts). */
    bodyLocations: z
      .object({ low_back: phrases, buttock: phrases, thigh: phrases, below_knee: phrases, foot: phrases })
      .strict(),
  })
  .strict();

export type LanguageFile = z.infer<typeof languageFileSchema>;
