import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRedFlagTable, type RedFlagTable } from '../../src/knowledge/clinical-tables.js';
import { compileRedFlags } from '../../src/nlu/red-flags.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const loaded = loadRedFlagTable(path.join(root, 'knowledge/red-flags.yaml'));
if (!loaded.table)
  throw new Error(`knowledge/red-flags.yaml cannot be used: ${JSON.stringify(loaded.problems)}`);
const table = loaded.table;
const detector = compileRedFlags(table);
const signalsOf = (text: string): string[] => detector.detect(text).signals;

describe('knowledge/red-flags.yaml', () => {
  it('when loaded, then it has no problems', () => {
    expect(loaded.problems).toEqual([]);
  });

  describe.each(table.rules.map((r) => [r.id, r] as const))('rule %s', (_id, rule) => {
    it.each(rule.fires)(`when the patient says "%s", then ${rule.signal} is set`, (text) => {
      expect(signalsOf(text)).toContain(rule.signal);
      expect(detector.detect(text).matches.some((m) => m.signal === rule.signal)).toBe(true);
    });
    it.each(rule.does_not_fire)(`when the patient says "%s", then ${rule.signal} is not set`, (text) => {
      expect(signalsOf(text)).not.toContain(rule.signal);
    });
  });

  it.each([
    ['no numbness down there', 'ce.saddle_numbness'],
    ['I can pee fine', 'ce.bladder'],
    ['never had cancer', 'history.cancer'],
    ['I fell asleep on the sofa', 'trauma.major'],
    ['I fell asleep on the sofa', 'aaa'],
    ['hay fever', 'systemic.fever'],
    ['my mum had cancer', 'history.cancer'],
    ['bladder and bowels are fine', 'ce.bladder'],
    ['bladder and bowels are fine', 'ce.bowel'],
    ['my cancer screening was clear', 'history.cancer'],
    ["I'm not numb anywhere", 'ce.saddle_numbness'],
    ['do steroid pills work for a trapped nerve', 'infection.risk'],
  ])('when the patient says "%s", then %s is not set', (text, signal) => {
    expect(signalsOf(text)).not.toContain(signal);
  });

  it.each([
    ["I can't feel the toilet paper when I wipe", 'ce.saddle_numbness'],
    ['I wet myself and my back is agony', 'ce.bladder'],
    ['my foot keeps slapping the floor', 'neuro.foot_drop'],
    ["not sure if it's numb, but I can't feel the paper when I wipe", 'ce.saddle_numbness'],
    ["I don't have any numbness, but I wet myself yesterday", 'ce.bladder'],
    ["My dad had cancer and I've had chemo", 'history.cancer'],
    ['no fever and numbness down there', 'ce.saddle_numbness'],
    ['numbess down there', 'ce.saddle_numbness'],
    ['i wet myslef last night', 'ce.bladder'],
    ['my bum is numbbbb', 'ce.saddle_numbness'],
    ['i think ive lost controll of my bladder', 'ce.bladder'],
    ['I have been taking steroid tablets for my lungs for years', 'infection.risk'],
  ])('when the patient says "%s", then %s is set', (text, signal) => {
    expect(signalsOf(text)).toContain(signal);
  });

  it.each([
    ['cant pee', 'ce.bladder'],
    ['pissed myself', 'ce.bladder'],
    ['lost control of my bowels', 'ce.bowel'],
    ['pooed myself', 'ce.bowel'],
    ['numb down there', 'ce.saddle_numbness'],
    ['cant get it up since the pain started', 'ce.sexual'],
    ['both legs', 'ce.bilateral_sciatica'],
    ['toes catch', 'neuro.foot_drop'],
    ['keep tripping', 'neuro.foot_drop'],
    ['car crash', 'trauma.major'],
    ['fell off a ladder', 'trauma.major'],
    ['chest pain', 'chest_pain'],
    ['passed out', 'aaa'],
    ['pulsing in my tummy', 'aaa'],
    ['had breast cancer', 'history.cancer'],
    ['chemo', 'history.cancer'],
    ['chemo', 'infection.risk'],
    ['hot and shivery', 'systemic.fever'],
    ['inject drugs', 'infection.risk'],
    ['on steroids', 'infection.risk'],
    ['lost weight without trying', 'weight_loss'],
    ['lump on my spine', 'back.lump'],
    ['pain wakes me at night', 'pain.night'],
    ['worse when I cough or sneeze', 'pain.cough'],
    ['between my shoulder blades', 'pain.thoracic'],
    ['osteoporosis', 'fracture.risk'],
    ["can't cope", 'pain.unbearable'],
    ['unbearable', 'pain.unbearable'],
  ])('when the patient says only "%s", then %s is set', (text, signal) => {
    expect(signalsOf(text)).toContain(signal);
  });

  it('when nothing worrying is said, then no signal is set', () => {
    for (const text of [
      'what is sciatica',
      'my bum hurts when I sit for a long time',
      'pain in my left buttock going down my leg',
      'how do I book an appointment',
      'I hurt my back lifting a box',
      'no, none of those',
      '',
      '👍',
    ]) {
      expect(detector.detect(text)).toEqual({ signals: [], matches: [] });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The engine, on a small table written here, so each behaviour is tested on its own.

function miniTable(): RedFlagTable {
  const rule = (id: string, signal: string, patterns: string[], extra: object = {}) => ({
    id,
    signal,
    patterns,
    fires: ['-'],
    does_not_fire: ['-'],
    ...extra,
  });
  return {
    format: 1,
    settings: { negation_window: 4, after_window: 3, gap_words: 3, typo_min_length: 5, min_examples: 1 },
    language: {
      negation_before: ['no', 'not', 'never', 'dont'],
      negation_after: ['is fine'],
      not_negation: ['not sure'],
      clause_breaks: ['but'],
      list_joiners: ['and'],
      someone_else: ['my {relative}'],
      self: ['i', 'my'],
      known_words: ['fewer'],
      long_ago: ['years ago', 'when i was a kid', 'cleared up'],
      recent: ['yesterday', 'last week'],
      now: ['now'],
      not_reported: ['my dog'],
      own_complaint: ['back'],
      spellings: { wen: 'when', n: 'and' },
    },
    vocab: {
      relative: ['mum', 'dad', 'dog'],
      numb: ['numb', 'numbness', 'no feeling'],
      age: ['im (80|90)'],
    },
    rules: [
      rule('numb-seat', 'ce.saddle_numbness', ['{numb} down there']),
      rule('fever', 'systemic.fever', ['fever'], { not_when_part_of: ['hay fever'] }),
      rule('cough', 'pain.cough', ['cough ... hurts']),
      rule('kid', 'child', ['my son has'], { someone_else: 'counts' }),
      rule('crash', 'trauma.major', ['car crash'], { long_ago: 'ignore' }),
      rule('thin', 'weight_loss', ['lost weight'], { not_with: ['dieting'] }),
      rule('slip', 'fracture.risk', ['slipped'], { only_with: ['{age}'] }),
      rule('cancer', 'history.cancer', ['had cancer']),
      rule('retention', 'ce.bladder', ['cant pee', 'cant feel when peeing']),
      rule('bladder-told', 'ce.bladder', ['cant empty (her|his) bladder'], { someone_else: 'reported' }),
      rule('legs', 'ce.bilateral_weakness', ['weak legs'], { long_ago: 'ignore' }),
    ],
  };
}

describe('compileRedFlags', () => {
  const mini = compileRedFlags(miniTable());
  const fires = (text: string, signal: string): boolean => mini.detect(text).signals.includes(signal);

  it('when the wording is found, then the signal is set with the span of the words', () => {
    const text = 'Well, I have NUMBNESS down there.';
    const { signals, matches } = mini.detect(text);
    expect(signals).toEqual(['ce.saddle_numbness']);
    expect(matches).toHaveLength(1);
    const [match] = matches;
    expect(match?.ruleId).toBe('numb-seat');
    expect(text.slice(...(match?.span ?? [0, 0])).toLowerCase()).toBe('numbness down there');
  });

  it('when a negation word comes shortly before, then the signal is not set', () => {
    expect(fires('no numbness down there', 'ce.saddle_numbness')).toBe(false);
    expect(fires("I don't have numbness down there", 'ce.saddle_numbness')).toBe(false);
  });

  it('when the negation is further back than the window, then it does not count', () => {
    expect(fires('no I really truly have numbness down there', 'ce.saddle_numbness')).toBe(true);
  });

  it('when a clause break or a list joiner stands between, then the negation does not reach', () => {
    expect(fires('no fever but numbness down there', 'ce.saddle_numbness')).toBe(true);
    expect(fires('no fever, numbness down there', 'ce.saddle_numbness')).toBe(true);
    expect(fires('no fever and numbness down there', 'ce.saddle_numbness')).toBe(true);
    expect(fires('no fever and numbness down there', 'systemic.fever')).toBe(false);
  });

  it('when a "that is fine" phrase follows, then the signal is not set', () => {
    expect(fires('numbness down there is fine', 'ce.saddle_numbness')).toBe(false);
    expect(fires('numbness down there and the rest is fine', 'ce.saddle_numbness')).toBe(true);
  });

  it('when the words only look like negation, then they do not negate', () => {
    expect(fires('not sure numbness down there', 'ce.saddle_numbness')).toBe(true);
  });

  it('when the wording is itself negative, then a negation before it does not cancel it', () => {
    expect(fires('no feeling down there', 'ce.saddle_numbness')).toBe(true);
    expect(fires("I don't have no feeling down there", 'ce.saddle_numbness')).toBe(true);
  });

  it('when a negation sits inside a gap, then it negates', () => {
    expect(fires('cough really hurts', 'pain.cough')).toBe(true);
    expect(fires('cough dont hurts', 'pain.cough')).toBe(false);
  });

  it('when a gap would run across a clause break, then there is no match', () => {
    expect(fires('cough but hurts', 'pain.cough')).toBe(false);
  });

  it('when the sentence is about someone else, then the signal is not set unless the rule says so', () => {
    expect(fires('my mum has numbness down there', 'ce.saddle_numbness')).toBe(false);
    expect(fires('my mum says my numbness down there is new', 'ce.saddle_numbness')).toBe(true);
    expect(fires('my mum has a fever but I have numbness down there', 'ce.saddle_numbness')).toBe(true);
    expect(fires('my son has a sore back', 'child')).toBe(true);
  });

  it("when a rule says someone_else: reported, then another adult's sign counts and is marked as theirs", () => {
    const told = mini.detect('my mum cant empty her bladder');
    expect(told.signals).toEqual(['ce.bladder']);
    expect(told.matches[0]?.someoneElse).toBe(true);
    expect(mini.detect('I cant pee').matches[0]?.someoneElse).toBeUndefined();
    // Rules without it still ignore other people.
    expect(fires('my mum cant pee', 'ce.bladder')).toBe(false);
  });

  it('when the other is listed as not reported, or the writer tells their own complaint, then a reported sign does not count', () => {
    expect(fires('my dog cant empty his bladder', 'ce.bladder')).toBe(false);
    expect(fires('my dad cant empty his bladder and my back is stiff from lifting him', 'ce.bladder')).toBe(
      false,
    );
    expect(fires('my dad cant empty his bladder and his back is stiff', 'ce.bladder')).toBe(true);
  });

  it('when a word is text-speak listed under spellings, then it is read as the word it stands for', () => {
    expect(fires('cant feel wen peeing', 'ce.bladder')).toBe(true);
    expect(fires('cant feel wan peeing', 'ce.bladder')).toBe(false);
  });

  it('when the story comes back to now after a long-ago phrase, then long ago does not reach the match', () => {
    expect(fires('weak legs years ago', 'ce.bilateral_weakness')).toBe(false);
    expect(fires('a car crash years ago and now weak legs', 'ce.bilateral_weakness')).toBe(true);
    expect(fires('weak legs years ago and now fine', 'ce.bilateral_weakness')).toBe(false);
  });

  it('when the words are part of a look-alike phrase, then the signal is not set', () => {
    expect(fires('hay fever', 'systemic.fever')).toBe(false);
    expect(fires('a fever', 'systemic.fever')).toBe(true);
  });

  it('when a long word has one typo, then it is corrected; short and real words are not', () => {
    expect(fires('numbnes down there', 'ce.saddle_numbness')).toBe(true);
    expect(fires('numbenss down there', 'ce.saddle_numbness')).toBe(true);
    expect(fires('nmb down there', 'ce.saddle_numbness')).toBe(false);
    expect(fires('numbneszz down there', 'ce.saddle_numbness')).toBe(false);
    expect(fires('fewer', 'systemic.fever')).toBe(false);
    expect(fires('never', 'systemic.fever')).toBe(false);
    expect(fires('numbbbb down there', 'ce.saddle_numbness')).toBe(true);
  });

  it('when a typo is one edit from several table words, then a left-out letter is preferred', () => {
    const table = miniTable();
    table.rules.push({
      id: 'numbers',
      signal: 'ce.bowel',
      patterns: ['numbers'],
      fires: ['-'],
      does_not_fire: ['-'],
    });
    const both = compileRedFlags(table);
    // "numbess" is one edit from "numbers" (a wrong letter) and "numbness" (a left-out letter).
    expect(both.detect('numbess down there').signals).toEqual(['ce.saddle_numbness']);
  });

  it('when the sentence puts it long ago or says it cleared up, then a long_ago: ignore rule does not fire', () => {
    expect(fires('I was in a car crash', 'trauma.major')).toBe(true);
    expect(fires('I was in a car crash years ago', 'trauma.major')).toBe(false);
    expect(fires('when I was a kid I was in a car crash', 'trauma.major')).toBe(false);
    expect(fires('a car crash, but it cleared up', 'trauma.major')).toBe(false);
  });

  it('when the same sentence also says something recent, then long ago does not apply', () => {
    expect(fires('a car crash years ago and another car crash yesterday', 'trauma.major')).toBe(true);
    expect(fires('car crash years ago, car crash last week', 'trauma.major')).toBe(true);
  });

  it('when the long-ago words are in another sentence or negated, then they do not count', () => {
    expect(fires('I was in a car crash. Years ago I had a bad back.', 'trauma.major')).toBe(true);
    expect(fires('I was in a car crash! Years ago I had a bad back', 'trauma.major')).toBe(true);
    expect(fires('a car crash and it has not cleared up', 'trauma.major')).toBe(true);
  });

  it('when a rule does not say long_ago: ignore, then long ago does not stop it', () => {
    expect(fires('I had cancer years ago', 'history.cancer')).toBe(true);
    expect(fires('numbness down there years ago', 'ce.saddle_numbness')).toBe(true);
  });

  it('when a not_with explanation is in the same sentence, then the rule does not fire', () => {
    expect(fires('I lost weight', 'weight_loss')).toBe(true);
    expect(fires('I lost weight because I was dieting', 'weight_loss')).toBe(false);
    expect(fires('I was dieting, then I lost weight', 'weight_loss')).toBe(false);
  });

  it('when the not_with explanation is negated or in another sentence, then the rule still fires', () => {
    expect(fires('I lost weight and I am not dieting', 'weight_loss')).toBe(true);
    expect(fires('I lost weight. My wife is dieting.', 'weight_loss')).toBe(true);
  });

  it('when an only_with rule matches, then it fires only with its companion wording in the message', () => {
    expect(fires('I slipped', 'fracture.risk')).toBe(false);
    expect(fires("I'm 80. Yesterday I slipped in the garden", 'fracture.risk')).toBe(true);
    expect(fires('I slipped, and I am 90', 'fracture.risk')).toBe(false);
    expect(fires("I slipped, and I'm 90", 'fracture.risk')).toBe(true);
  });

  it('when the companion wording is negated or about someone else, then the only_with rule does not fire', () => {
    expect(fires("I slipped but I'm not 80", 'fracture.risk')).toBe(false);
    expect(fires("I slipped, but I'm 80", 'fracture.risk')).toBe(true);
    expect(fires('I slipped and my dad im 80', 'fracture.risk')).toBe(false);
  });

  it('when a pattern starts with optional words, a vocabulary or word*, then it is found wherever it starts', () => {
    const table = miniTable();
    table.rules.push(
      { id: 'opt', signal: 'aaa', patterns: ['[really|very] faint*'], fires: ['-'], does_not_fire: ['-'] },
      {
        id: 'voc',
        signal: 'chest_pain',
        patterns: ['[a] {relative} ache'],
        fires: ['-'],
        does_not_fire: ['-'],
      },
    );
    const d = compileRedFlags(table);
    expect(d.detect('so very fainting').signals).toEqual(['aaa']);
    expect(d.detect('fainted').signals).toEqual(['aaa']);
    expect(d.detect('well, a dad ache').signals).toEqual(['chest_pain']);
    expect(d.detect('i have dad ache and mum ache').matches.map((m) => m.span)).toEqual([
      [7, 15],
      [20, 28],
    ]);
  });

  it('when several signals are found, then they are listed in order of appearance', () => {
    expect(mini.detect('a fever and numbness down there, my son has it').signals).toEqual([
      'systemic.fever',
      'ce.saddle_numbness',
      'child',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Loading

describe('loadRedFlagTable', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'red-flags-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const header = `format: 1
settings: { negation_window: 4, after_window: 3, gap_words: 3, typo_min_length: 5, min_examples: 2 }
language:
  { negation_before: [no], negation_after: [fine], not_negation: [not sure], clause_breaks: [but],
    list_joiners: [and], someone_else: [she], self: [i], known_words: [] }
vocab: { numb: [numb] }
`;

  it('when the table is valid, then there are no problems', () => {
    const file = write(
      'ok.yaml',
      `${header}rules:
  - { id: a, signal: ce.bladder, patterns: ["{numb} x"], fires: [numb x, numb x!], does_not_fire: [x, y] }
`,
    );
    const { table: t, problems } = loadRedFlagTable(file);
    expect(problems).toEqual([]);
    expect(t?.rules.map((r) => r.id)).toEqual(['a']);
  });

  it('when rules are wrong, then each problem names the rule', () => {
    const file = write(
      'bad.yaml',
      `${header}rules:
  - { id: dup, signal: ce.bladder, patterns: [x], fires: [x, x], does_not_fire: [y, y] }
  - { id: dup, signal: ce.bladder, patterns: [x], fires: [x, x], does_not_fire: [y, y] }
  - { id: unknown-signal, signal: made.up, patterns: [x], fires: [x, x], does_not_fire: [y, y] }
  - { id: few-examples, signal: ce.bowel, patterns: [x], fires: [x], does_not_fire: [y, y] }
  - { id: unknown-vocab, signal: ce.bowel, patterns: ["{nothing} x"], fires: [x, x], does_not_fire: [y, y] }
  - { id: bad-syntax, signal: ce.bowel, patterns: ["(a|b x"], fires: [x, x], does_not_fire: [y, y] }
  - { id: matches-nothing, signal: ce.bowel, patterns: ["[a]"], fires: [x, x], does_not_fire: [y, y] }
`,
    );
    const { table: t, problems } = loadRedFlagTable(file);
    expect(t).toBeDefined();
    expect(problems.map((p) => p.entry).sort()).toEqual(
      ['bad-syntax', 'dup', 'few-examples', 'matches-nothing', 'unknown-signal', 'unknown-vocab'].sort(),
    );
    for (const p of problems) {
      expect(p.file).toBe('bad.yaml');
      expect(p.message.length).toBeGreaterThan(0);
      expect(p.fix.length).toBeGreaterThan(0);
    }
  });

  it('when a required field is missing, then the table is not usable and the rule is named', () => {
    const file = write(
      'schema.yaml',
      `${header}rules:\n  - { id: no-signal, patterns: [x], fires: [], does_not_fire: [] }\n`,
    );
    const { table: t, problems } = loadRedFlagTable(file);
    expect(t).toBeUndefined();
    expect(problems.some((p) => p.entry === 'no-signal')).toBe(true);
  });

  it('when the file is not YAML or is missing, then there is one problem and no table', () => {
    const broken = loadRedFlagTable(write('broken.yaml', 'rules: [a, b\n'));
    expect(broken.table).toBeUndefined();
    expect(broken.problems).toHaveLength(1);
    const missing = loadRedFlagTable(path.join(dir, 'missing.yaml'));
    expect(missing.table).toBeUndefined();
    expect(missing.problems).toHaveLength(1);
  });
});

describe('general questions about warning signs', () => {
  const detector = compileRedFlags(loaded.table!);
  it.each([
    'what does saddle numbness mean?',
    'can sciatica cause bladder problems?',
    'is losing control of your bowels a sign of something serious?',
    'what are the warning signs of cauda equina',
  ])('when someone asks "%s", then nothing fires: it reports no symptom', (text) => {
    expect(detector.detect(text).signals).toEqual([]);
  });

  it.each([
    ['is it normal that i cant feel the toilet paper when i wipe?', 'ce.saddle_numbness'],
    ['should i worry that i wet myself last night?', 'ce.bladder'],
    ['my bladder is leaking since the pain started, is that bad?', 'ce.bladder'],
  ])('when a question says it is happening to the person ("%s"), then it still fires', (text, signal) => {
    expect(detector.detect(text).signals).toContain(signal);
  });
});

describe('questions that put the verb before "I"', () => {
  const detector = compileRedFlags(loaded.table!);
  it.each([
    ["why can't I feel my bum when I wipe?", 'ce.saddle_numbness'],
    ['why can I not feel the toilet paper?', 'ce.saddle_numbness'],
    ["why can't I empty my bladder fully?", 'ce.bladder'],
    ["why don't I feel when I need to pee anymore?", 'ce.bladder'],
    ["why can't i feel if i need to open my bowels", 'ce.bowel'],
  ])('when the patient asks "%s", then it reads as a statement and %s is set', (text, signal) => {
    expect(detector.detect(text).signals).toContain(signal);
  });

  it('when the words change places, then each match keeps its place in the text', () => {
    const text = "why can't I feel my bum when I wipe?";
    const match = detector.detect(text).matches.find((m) => m.signal === 'ce.saddle_numbness');
    expect(match).toBeDefined();
    const [start, end] = match!.span;
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    expect(end).toBeLessThanOrEqual(text.length);
  });

  it.each(["can't I just take ibuprofen?", 'why can I not sleep on my front?'])(
    'when the question has no warning sign ("%s"), then nothing fires',
    (text) => {
      expect(detector.detect(text).signals).toEqual([]);
    },
  );
});
