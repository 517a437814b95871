/**
 * Entities in a patient's message: pain score, duration, age, side, body locations and an option
 * number. Pure and deterministic: "since Monday" needs the clock, which the caller passes as `now`.
 *
 * Bare numbers are ambiguous ("8" may be a pain score, an option or an age). Without `expecting`,
 * a bare 0-10 is read as both a pain score and an option number and never as an age; with
 * `expecting` (what the last question asked for) it is read only as that.
 */
import type { BodyLocation, Entities, NluContext } from '../../dialogs/types.js';
import type { LanguageFile } from '../knowledge/language-file.js';
import { fold, negativeContractions } from '../text/fold.js';

/** The words of knowledge/language.yaml the entity reader uses, compiled once (compileEntityWords). */
export interface EntityWords {
  /** A word shortly before a place or a pain word that says it is not so ("not in my foot", "isn't severe"). */
  negators: ReadonlySet<string>;
  /** Body area -> its words (language.yaml `bodyLocations`) and the grammar kept here. */
  locations: ReadonlyArray<[BodyLocation, RegExp]>;
}

export interface EntityOptions {
  /** The current time, for "since Monday" / "since Christmas". Without it those are not resolved. */
  now?: Date;
  /** What kind of answer the last question expects. */
  expecting?: NluContext['expecting'];
  /** The compiled words (compileEntityWords). */
  words: EntityWords;
}

// ---------------------------------------------------------------------------------------------
// Numbers

const UNITS: Readonly<Record<string, number>> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Readonly<Record<string, number>> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const UNIT_WORDS = Object.keys(UNITS).join('|');
const TEN_WORDS = Object.keys(TENS).join('|');
/** A number in digits or words: "7", "7.5", "seven", "sixty seven", "sixty-seven". */
const NUM = `(?:\\d+(?:\\.\\d+)?|(?:${TEN_WORDS})(?:[ -](?:one|two|three|four|five|six|seven|eight|nine))?|${UNIT_WORDS})`;

function parseNumber(raw: string): number | undefined {
  const s = raw.trim().replace(/-/g, ' ');
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s);
  const [first = '', second] = s.split(/\s+/);
  if (first in UNITS && second === undefined) return UNITS[first];
  const tens = TENS[first];
  if (tens === undefined) return undefined;
  if (second === undefined) return tens;
  const unit = UNITS[second];
  return unit !== undefined && unit < 10 ? tens + unit : undefined;
}

/** The one fold (src/text/fold.ts), apostrophes dropped ("i'm" -> "im"), single spaces. */
function normalise(text: string): string {
  return fold(text).replace(/'/g, '').replace(/\s+/g, ' ').trim();
}

/** A negation word shortly before `index` in the same clause ("not in my foot"). */
function negatedBefore(text: string, index: number, negators: ReadonlySet<string>): boolean {
  const before = text.slice(0, index);
  const clause = before.split(/[.,;:!?]|\b(?:but|and|just|only)\b/).pop() ?? '';
  const words = clause.trim().split(' ').slice(-4);
  return words.some((w) => negators.has(w));
}

// ---------------------------------------------------------------------------------------------
// Pain score

/** Words after a number that make it something other than a pain score. */
const NOT_A_SCORE = `(?!\\s*(?:%|percent|years?|yrs?|yo\\b|weeks?|wks?|days?|months?|mths?|hours?|hrs?|minutes?|mins?|times|kg|kilos?|stone|st\\b|lbs?|pounds?|ft\\b|foot|feet|inch|cm|miles?|km|am\\b|pm\\b|oclock|th\\b|nd\\b|rd\\b|year|\\/|out of|outta|-|\\.\\d))`;

const SCORE_PATTERNS: readonly RegExp[] = [
  // "7/10", "7 out of 10", "7-8/10", "between 6 and 7 out of 10" (the higher number counts)
  new RegExp(`\\b(${NUM})\\s*(?:(?:-|to|or|and)\\s*(${NUM})\\s*)?(?:\\/|out of|outta|over)\\s*(?:10|ten)\\b`),
  // "about a seven", "it's a 6", "pain is 8", "i'd say 5", "score of 7"
  new RegExp(
    `\\b(?:pain(?: score)?(?: is| of)?|score(?: is| of)?|rate it(?: at| as)?|rating(?: of)?|id say|i would say|about|around|roughly|like|maybe|probably|its|it is|a solid|solid)\\s+(?:a |an )?(${NUM})\\b${NOT_A_SCORE}`,
  ),
  new RegExp(`(?:^|[^\\w])(?:a|an) (${NUM})\\b${NOT_A_SCORE}`),
];

const DESCRIPTORS: ReadonlyArray<[RegExp, number]> = [
  [/^(?:no pain|pain free|none|zero|nil|it doesnt hurt)[.!]?$/, 0],
  [/\b(?:not (?:too|that|so|very) bad|not bad|mild|mildly|slight|a bit sore|niggl\w*|manageable)\b/, 3],
  [/\b(?:unbearable|excruciating|worst (?:pain|ever)|cant (?:cope|bear it|take it))\b/, 10],
  [/\b(?:agony|agonising|agonizing)\b/, 9],
  [
    /\b(?:really|very|so|extremely) (?:bad|painful|sore)\b|\b(?:severe|terrible|awful|horrendous|horrible)\b/,
    8,
  ],
  [/\b(?:moderate|medium|so so)\b/, 5],
];

function painScore(t: string, negators: ReadonlySet<string>): number | undefined {
  for (const re of SCORE_PATTERNS) {
    const m = re.exec(t);
    if (!m) continue;
    const values = [m[1], m[2]].filter((v): v is string => v !== undefined).map(parseNumber);
    const nums = values.filter((v): v is number => v !== undefined && v >= 0 && v <= 10);
    if (nums.length > 0) return Math.max(...nums);
  }
  for (const [re, score] of DESCRIPTORS) {
    // Negated descriptors ("not severe") fall through; the "not bad" rule is matched first.
    const m = re.exec(t);
    if (m && (score <= 3 || !negatedBefore(t, m.index, negators))) return score;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Duration

const UNIT_DAYS: ReadonlyArray<[RegExp, number]> = [
  [/^(?:d|days?)$/, 1],
  [/^(?:w|wks?|weeks?)$/, 7],
  [/^fortnights?$/, 14],
  [/^(?:mo|mos|mths?|mnths?|months?)$/, 30],
  [/^(?:y|yrs?|years?)$/, 365],
  [/^(?:h|hrs?|hours?|mins?|minutes?)$/, 0],
];
const UNIT_RE =
  '(?:days?|d|weeks?|wks?|w|fortnights?|months?|mths?|mnths?|mos?|years?|yrs?|y|hours?|hrs?|h|minutes?|mins?)';
const QUANTITY = `(?:${NUM}|a couple of|couple of|a couple|a few|few|several|a|an|one and a half|half an?)`;

function unitDays(unit: string): number | undefined {
  for (const [re, days] of UNIT_DAYS) if (re.test(unit)) return days;
  return undefined;
}

function quantity(q: string): number | undefined {
  if (/^(?:a couple of|couple of|a couple)$/.test(q)) return 2;
  if (/^(?:a few|few|several)$/.test(q)) return 3;
  if (/^(?:a|an)$/.test(q)) return 1;
  if (q === 'one and a half') return 1.5;
  if (/^half an?$/.test(q)) return 0.5;
  return parseNumber(q);
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAY_MS = 86_400_000;

/** Whole days between two dates, by calendar day (clock time ignored). */
function daysBetween(from: Date, to: Date): number {
  const a = Date.UTC(from.getFullYear(), from.getMonth(), from.getDate());
  const b = Date.UTC(to.getFullYear(), to.getMonth(), to.getDate());
  return Math.round((b - a) / DAY_MS);
}

/** The most recent date (today or earlier) with this month and day. */
function lastDate(now: Date, month: number, day: number): Date {
  const d = new Date(now.getFullYear(), month, day);
  if (daysBetween(d, now) < 0) d.setFullYear(now.getFullYear() - 1);
  return d;
}

function sinceDays(phrase: string, now: Date | undefined): number | undefined {
  const fixed: Readonly<Record<string, number>> = {
    today: 0,
    'this morning': 0,
    'this afternoon': 0,
    'this evening': 0,
    tonight: 0,
    yesterday: 1,
    'last night': 1,
    'last week': 7,
    'last month': 30,
    'last year': 365,
  };
  const f = fixed[phrase];
  if (f !== undefined) return f;
  if (!now) return undefined;
  const weekday = WEEKDAYS.indexOf(phrase.replace(/^last /, ''));
  if (weekday >= 0) {
    const back = (now.getDay() - weekday + 7) % 7;
    return back === 0 ? 7 : back;
  }
  if (phrase === 'the weekend' || phrase === 'last weekend') {
    const back = (now.getDay() - 6 + 7) % 7;
    return back === 0 ? 7 : back;
  }
  const month = MONTHS.indexOf(phrase.replace(/^last /, ''));
  if (month >= 0) return daysBetween(lastDate(now, month, 1), now);
  if (/^(?:christmas|xmas|boxing day)$/.test(phrase)) return daysBetween(lastDate(now, 11, 25), now);
  if (/^(?:new year|new years|new years day|the new year)$/.test(phrase))
    return daysBetween(lastDate(now, 0, 1), now);
  return undefined;
}

const SINCE_RE = new RegExp(
  `\\b(?:since|started|start|began|begun|from|starting) (today|this morning|this afternoon|this evening|tonight|yesterday|last night|last week|last month|last year|(?:last )?(?:${WEEKDAYS.join('|')})|the weekend|last weekend|(?:last )?(?:${MONTHS.join('|')})|christmas|xmas|boxing day|new years day|new years|new year|the new year)\\b`,
  'g',
);

function durationDays(t: string, now: Date | undefined): number | undefined {
  const found: number[] = [];
  const quantityRe = new RegExp(
    `\\b(over|more than|longer than|at least|almost|nearly|under|less than|about|around)?\\s*(${QUANTITY})\\s*(${UNIT_RE})\\b(?!-? ?old\\b| of age\\b)(?: and a half)?`,
    'g',
  );
  for (const m of t.matchAll(quantityRe)) {
    const q = quantity(m[2] ?? '');
    const per = unitDays(m[3] ?? '');
    if (q === undefined || per === undefined) continue;
    // "7/10" and "7 out of 10" are scores; "a d" and similar single letters need a number.
    if (/^[a-z]$/.test(m[3] ?? '') && !/\d$/.test(m[2] ?? '')) continue;
    let days = q * per * (m[0].endsWith('and a half') ? 1.5 : 1);
    if (m[1] && /^(?:over|more than|longer than|at least)$/.test(m[1])) days += 1;
    if (m[1] && /^(?:under|less than)$/.test(m[1])) days = Math.max(0, days - 1);
    found.push(Math.round(days));
  }
  for (const m of t.matchAll(SINCE_RE)) {
    const d = sinceDays(m[1] ?? '', now);
    if (d !== undefined) found.push(d);
  }
  if (/\b(?:for ages|ages|donkeys years|forever)\b/.test(t)) found.push(365);
  if (/\b(?:for years|years and years)\b/.test(t)) found.push(730);
  if (/\bhalf a year\b/.test(t)) found.push(182);
  return found.length > 0 ? Math.max(...found) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Age

const NOT_AN_AGE = `(?!\\s*(?:%|percent|weeks?|wks?|days?|months?|mths?|hours?|hrs?|minutes?|mins?|times|x\\b|kg|kilos?|stone|st\\b|lbs?|pounds?|ft\\b|foot|feet|inch|inches|cm|miles?|km|am\\b|pm\\b|oclock|th\\b|nd\\b|rd\\b|\\/|out of|outta|-|\\.\\d|ish\\b))`;
const DECADES: Readonly<Record<string, number>> = {
  '20s': 20,
  twenties: 20,
  '30s': 30,
  thirties: 30,
  '40s': 40,
  forties: 40,
  '50s': 50,
  fifties: 50,
  '60s': 60,
  sixties: 60,
  '70s': 70,
  seventies: 70,
  '80s': 80,
  eighties: 80,
  '90s': 90,
  nineties: 90,
};

function age(t: string, now: Date | undefined): number | undefined {
  const patterns: readonly RegExp[] = [
    new RegExp(`\\b(${NUM}) ?(?:years?|yrs?|y) ?old\\b`),
    new RegExp(`\\b(\\d{1,3}) ?(?:yo|y\\/o|yrs|y\\.o\\.)(?![a-z])`),
    new RegExp(`\\b(?:aged?|age is|my age is)\\s*:?\\s*(${NUM})\\b${NOT_AN_AGE}`),
    new RegExp(`\\b(?:im|i am|i m)\\s+(?:only |now |just )?(${NUM})\\b${NOT_AN_AGE}`),
    new RegExp(`\\b(?:just |recently )?turned (${NUM})\\b${NOT_AN_AGE}`),
  ];
  const over = new RegExp(`\\b(?:im|i am|i m) (?:over|older than) (${NUM})\\b${NOT_AN_AGE}`).exec(t);
  const overAge = over?.[1] !== undefined ? parseNumber(over[1]) : undefined;
  if (overAge !== undefined && Number.isInteger(overAge) && overAge >= 1 && overAge < 120) return overAge + 1;
  for (const re of patterns) {
    const m = re.exec(t);
    const n = m?.[1] !== undefined ? parseNumber(m[1]) : undefined;
    if (n !== undefined && Number.isInteger(n) && n >= 1 && n <= 120) return n;
  }
  const decade =
    /\bin (?:my|his|her) (early |mid |late )?(\d0s|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)\b/.exec(
      t,
    );
  if (decade) {
    const base = DECADES[decade[2] ?? ''];
    const offset = decade[1] === 'early ' ? 2 : decade[1] === 'mid ' ? 5 : decade[1] === 'late ' ? 8 : 0;
    if (base !== undefined) return base + offset;
  }
  const born = /\bborn in (19\d\d|20\d\d)\b/.exec(t);
  if (born && now) {
    const years = now.getFullYear() - Number(born[1]);
    if (years >= 1 && years <= 120) return years;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Side and body locations

const BODY =
  '(?:side|sided|leg|legs|buttock|buttocks|bum|butt|cheek|glute|hip|foot|feet|thigh|calf|knee|ankle|heel|toes?|hamstring|shin|lower back|back|sciatica)';

function side(
  t: string,
  expecting: EntityOptions['expecting'],
  negators: ReadonlySet<string>,
): Entities['side'] {
  if (
    /\b(?:both|either|each) (?:sides?|legs|buttocks|feet|glutes|hips|thighs|calves|knees|bum cheeks)\b/.test(
      t,
    )
  ) {
    return 'both';
  }
  if (/\bboth\b/.test(t) && /^(?:the )?both(?: of them| sides| legs)?[.!]?$/.test(t)) return 'both';
  const found = new Set<'left' | 'right'>();
  const res = [
    new RegExp(`\\b(left|right)(?: hand)?[ -]${BODY}\\b`, 'g'),
    /\b(?:on|to|down|in|at|of) (?:the|my|his|her) (left|right)\b/g,
    new RegExp(`\\b(left|right) (?:and|or|\\/) (?:left|right)(?: ${BODY})?\\b`, 'g'),
  ];
  for (const re of res) {
    for (const m of t.matchAll(re)) {
      if (negatedBefore(t, m.index, negators)) continue;
      if (/\b(left|right) (?:and|or|\/) (left|right)/.test(m[0])) {
        found.add('left');
        found.add('right');
      } else if (m[1] === 'left' || m[1] === 'right') found.add(m[1]);
    }
  }
  if (found.size === 0 && expecting !== 'yes_no') {
    const bare = /^(?:the |my |on the )?(left|right)(?: one| side)?[.!]?$/.exec(t);
    if (bare?.[1] === 'left' || bare?.[1] === 'right') found.add(bare[1]);
  }
  if (found.size === 2) return 'both';
  return found.values().next().value;
}

/**
 * The body-area grammar that stays in code, next to the words of language.yaml `bodyLocations`:
 * "my back" is the low back unless it is the back of something, a back pocket or "back home";
 * "rear" is not "rear end"; "bottom" is not "the bottom of".
 */
const LOCATION_GRAMMAR: Readonly<Record<BodyLocation, readonly string[]>> = {
  low_back: [
    'small of (?:my|the) back\\b',
    '(?:my|the|hurt my|injured my|put out my|did my) back\\b(?! of| pocket| garden| door| seat| then| up| home| to| in time)',
  ],
  buttock: ['rear\\b(?! end)', 'bottom\\b(?! of)'],
  thigh: ['back of (?:my|the) (?:leg|thigh)\\b'],
  below_knee: ['below (?:the|my) knee\\b', 'back of (?:my|the) knee\\b'],
  foot: ['(?:ball|arch) of (?:my|the) foot\\b'],
};

/** Areas in the order they are reported: top to bottom. */
const AREAS: readonly BodyLocation[] = ['low_back', 'buttock', 'thigh', 'below_knee', 'foot'];

/**
 * The entity reader's words: the negators of language.yaml with the negative contractions of
 * "is", "are", "do" and "does" from the one contraction table ("isnt", "dont"; not "cant": "I
 * can't feel my foot" is about the foot), and the body-area words.
 */
export function compileEntityWords(file: Pick<LanguageFile, 'words' | 'bodyLocations'>): EntityWords {
  const negators = new Set([
    ...file.words.negators.map((w) => normalise(w)),
    ...negativeContractions(['is', 'are', 'do', 'does']),
  ]);
  const locations = AREAS.map((area): [BodyLocation, RegExp] => {
    const words = [...new Set(file.bodyLocations[area].map((w) => normalise(w)).filter(Boolean))]
      .sort((a, b) => b.length - a.length)
      .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+'));
    return [
      area,
      new RegExp(`\\b(?:${[...words.map((w) => `${w}\\b`), ...LOCATION_GRAMMAR[area]].join('|')})`, 'g'),
    ];
  });
  return { negators, locations };
}

function locations(t: string, words: EntityWords): BodyLocation[] {
  const out: BodyLocation[] = [];
  for (const [loc, re] of words.locations) {
    for (const m of t.matchAll(re)) {
      if (negatedBefore(t, m.index, words.negators)) continue;
      out.push(loc);
      break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Option number

const ORDINALS: Readonly<Record<string, number>> = {
  first: 1,
  '1st': 1,
  second: 2,
  '2nd': 2,
  third: 3,
  '3rd': 3,
  fourth: 4,
  '4th': 4,
  fifth: 5,
  '5th': 5,
  sixth: 6,
  '6th': 6,
};
const ORDINAL_WORDS = Object.keys(ORDINALS).join('|');

function choice(t: string): number | undefined {
  const labelled =
    new RegExp(`\\b(?:option|choice|number|#)\\s*(${NUM})\\b`).exec(t) ?? /#\s*(\d{1,2})\b/.exec(t);
  const ordinal =
    new RegExp(`\\b(${ORDINAL_WORDS}) (?:one|option|choice)\\b`).exec(t) ??
    new RegExp(
      `^(?:the |i(?:ll| will) (?:take|go with|pick|choose) the |id like the )?(${ORDINAL_WORDS})[.!]?$`,
    ).exec(t);
  let n: number | undefined;
  if (labelled?.[1] !== undefined) n = parseNumber(labelled[1]);
  else if (ordinal?.[1] !== undefined) n = ORDINALS[ordinal[1]];
  return n !== undefined && Number.isInteger(n) && n >= 1 && n <= 20 ? n : undefined;
}

// ---------------------------------------------------------------------------------------------

export function extractEntities(text: string, options: EntityOptions): Entities {
  const { now, expecting, words } = options;
  const t = normalise(text);
  const out: Entities = {};
  if (t === '') return out;

  const bare = new RegExp(`^(${NUM})[.!)]?$`).exec(t);
  const bareNumber = bare?.[1] !== undefined ? parseNumber(bare[1]) : undefined;
  if (bareNumber !== undefined) {
    const whole = Number.isInteger(bareNumber);
    if (expecting === 'age') {
      if (whole && bareNumber >= 1 && bareNumber <= 120) out.age = bareNumber;
    } else if (expecting === 'choice') {
      if (whole && bareNumber >= 1 && bareNumber <= 20) out.choice = bareNumber;
    } else if (expecting === 'pain_score') {
      if (bareNumber <= 10) out.painScore = bareNumber;
    } else if (expecting === undefined || expecting === 'free_text') {
      if (bareNumber <= 10) out.painScore = bareNumber;
      if (whole && bareNumber >= 1 && bareNumber <= 10) out.choice = bareNumber;
    }
    return out;
  }

  const score = painScore(t, words.negators);
  if (score !== undefined) out.painScore = score;
  const days = durationDays(t, now);
  if (days !== undefined) out.durationDays = days;
  const years = age(t, now);
  if (years !== undefined) out.age = years;
  const s = side(t, expecting, words.negators);
  if (s !== undefined) out.side = s;
  const locs = locations(t, words);
  if (locs.length > 0) out.locations = locs;
  const c = choice(t);
  if (c !== undefined) out.choice = c;
  return out;
}

/**
 * Clinical signals implied by entities: age 60 or over -> age.over_60 (clinical.md: "Age 60+"),
 * under 20 -> age.under_20, under 16 -> child (NICE NG59 covers over 16s), more than 42 days ->
 * duration.over_6_weeks. A pain score alone sets nothing: "unbearable" is a red-flag wording.
 */
export function signalsFromEntities(entities: Entities): string[] {
  const out: string[] = [];
  const { age: years, durationDays: days } = entities;
  if (years !== undefined) {
    if (years >= 60) out.push('age.over_60');
    if (years < 20) out.push('age.under_20');
    if (years < 16) out.push('child');
  }
  if (days !== undefined && days > 42) out.push('duration.over_6_weeks');
  return out;
}
