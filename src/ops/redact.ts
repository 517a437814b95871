/**
 * Redaction for the review loop: what a patient typed, with what could identify them taken out
 * before it is stored. Removed, in this order: email addresses, web links, phone numbers, dates,
 * any other number, and names (people's names found by `compromise`, plus "my name is ...",
 * "I'm called ..." and titles such as "Dr Patel", which catch lower-case names too).
 *
 * Each removal leaves a marker ([email], [phone], [date], [number], [name]) so a reader still sees
 * the shape of the question. It is a filter, not a guarantee: the review file stays access-controlled
 * and expires (REVIEW_RETENTION_DAYS).
 */

/** Finds people's names in a text. `compromise` is loaded only when the review loop is on (it is large). */
type PeopleFinder = (text: string) => string[];
let findPeople: PeopleFinder | undefined;

/** Load the name finder (once). Until it is loaded, names are still caught after cues and titles. */
export async function loadNameFinder(): Promise<void> {
  if (findPeople) return;
  const { default: nlp } = await import('compromise');
  findPeople = (text) => nlp(text).people().out('array') as string[];
}

const MONTHS =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';

const PATTERNS: Array<[RegExp, string]> = [
  [/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu, '[email]'],
  [/\b(?:https?:\/\/|www\.)\S+/giu, '[link]'],
  // 7+ digits with the usual separators, optionally +country code: phone numbers.
  [/(?:\+|\b00)?\d(?:[\s().-]*\d){6,}/gu, '[phone]'],
  // 12/03/2025, 2025-03-12, 12.3.25
  [/\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b/gu, '[date]'],
  // 3rd May, 3 May 2025, May 3rd, May 3, 2025
  [
    new RegExp(`\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?(?:${MONTHS})\\b(?:\\s+\\d{2,4})?`, 'giu'),
    '[date]',
  ],
  [new RegExp(`\\b(?:${MONTHS})\\s+\\d{1,2}(?:st|nd|rd|th)?\\b(?:,?\\s+\\d{2,4})?`, 'giu'), '[date]'],
  // Any number left (ages, scores, house numbers, "6 weeks").
  [/\d+(?:[.,]\d+)*/gu, '[number]'],
];

const NAME_CUES =
  /\b(my name is|my name's|name's|i am called|i'm called|im called|call me|this is|i am|i'm|im)\s+([\p{L}'-]+)(\s+[\p{L}'-]+)?/giu;
/** Words that follow "I am" / "I'm" and are not names. */
const NOT_NAMES = new Set(
  [
    'a',
    'an',
    'the',
    'not',
    'so',
    'very',
    'really',
    'in',
    'on',
    'at',
    'having',
    'getting',
    'feeling',
    'worried',
    'scared',
    'sore',
    'pregnant',
    'old',
    'still',
    'just',
    'now',
    'also',
    'going',
    'trying',
    'unable',
    'able',
    'struggling',
    'suffering',
    'fine',
    'ok',
    'okay',
    'well',
    'sure',
    'unsure',
    'here',
    'back',
    'off',
    'over',
    'currently',
    'always',
    'never',
    'too',
    'quite',
    'bit',
    'male',
    'female',
    'diabetic',
    'worse',
    'better',
    'concerned',
    'afraid',
    'asking',
    'wondering',
    'looking',
    'taking',
    'waiting',
    'off',
    'sick',
    'tired',
    'retired',
    'nervous',
    'anxious',
    'desperate',
    'confused',
    '[number]',
  ].map((w) => w.toLowerCase()),
);
/** Words that end a name typed in lower case after "my name is". */
const FUNCTION_WORDS = new Set([
  'and',
  'but',
  'or',
  'i',
  'im',
  "i'm",
  'with',
  'from',
  'is',
  'my',
  'have',
  'has',
  'so',
  'here',
  'who',
  'aged',
  'age',
  'and',
  'am',
  'the',
  'a',
  'of',
  'please',
  'thanks',
  'thank',
]);
const TITLES =
  /\b(?:dr|doctor|mr|mrs|ms|miss|mx|prof|professor|nurse|physio)\.?\s+([\p{L}'-]+)(\s+[\p{L}'-]+)?/giu;
/** A second word belongs to the name only when it is capitalised ("Sarah Jones", not "Sarah said"). */
const isCapitalised = (word: string | undefined) => !!word && /^\p{Lu}/u.test(word.trim());

export function redact(text: string): string {
  let out = text;
  for (const [pattern, marker] of PATTERNS) out = out.replace(pattern, marker);
  out = out.replace(TITLES, (_whole, _name: string, second: string | undefined) =>
    isCapitalised(second) ? '[name]' : `[name]${second ?? ''}`,
  );
  out = out.replace(NAME_CUES, (whole, cue: string, name: string, second: string | undefined) => {
    const first = name.toLowerCase();
    if (NOT_NAMES.has(first) || /ing$|ed$/.test(first)) return whole;
    const strong = !/^(?:i am|i'm|im|this is)$/i.test(cue);
    const joined =
      isCapitalised(second) || (strong && !!second && !FUNCTION_WORDS.has(second.trim().toLowerCase()));
    return joined ? `${cue} [name]` : `${cue} [name]${second ?? ''}`;
  });
  // Names compromise recognises (mostly capitalised first and family names).
  for (const person of findPeople?.(out) ?? []) {
    const clean = person.replace(/[^\p{L}\s'-]/gu, '').trim();
    if (clean.length < 2 || clean.toLowerCase() === 'name') continue;
    out = out.replace(new RegExp(`\\b${escape(clean)}\\b`, 'gu'), '[name]');
  }
  return out.replace(/\s+/g, ' ').trim();
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
