import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Prediction, TextClassifier } from '../../src/nlu/classifier.js';
import { createRedFlagNet, markNegation, netExamples, type NetSettings } from '../../src/nlu/red-flag-net.js';
import { loadRedFlagNetFile, type RedFlagTable } from '../../src/knowledge/clinical-tables.js';

const settings: NetSettings = {
  threshold: 0.6,
  minWords: 3,
  negations: new Set(['no', 'not', 'cant', 'dont', 'arent']),
  scopeBreaks: new Set(['but', 'and']),
  denials: new Set(['no', 'not', 'arent']),
  symptomWords: new Set(['numbness', 'weak']),
  reassurance: new Set(['fine', 'normal']),
  notWhen: [' years ago ', ' marathon '],
  actsOn: ['ce.bladder', 'ce.saddle_numbness'],
  personWords: new Set(['i', 'my', 'he', 'husband']),
  questionWords: new Set(['what', 'can']),
};

/** A classifier that reads a sign from a keyword, so each gate is tested on its own. */
function keywordClassifier(p = 0.9): TextClassifier & { seen: string[] } {
  const seen: string[] = [];
  const rules: Array<[RegExp, string]> = [
    [/\bwee\b/, 'ce.bladder'],
    [/\bbottom\b/, 'ce.saddle_numbness'],
    [/\bfever\b/, 'systemic.fever'],
  ];
  return {
    seen,
    labels: ['none', 'ce.bladder', 'ce.saddle_numbness', 'systemic.fever'],
    predict(text: string): Prediction[] {
      seen.push(text);
      const hit = rules.find(([re]) => re.test(text));
      return hit
        ? [
            { label: hit[1], p },
            { label: 'none', p: 1 - p },
          ]
        : [{ label: 'none', p: 1 }];
    },
    toJSON() {
      throw new Error('not needed');
    },
  };
}

describe('markNegation', () => {
  it('when a negation word comes first, then the next words are marked up to the reach, a comma or a break word', () => {
    expect(markNegation('no numbness down there', settings)).toBe('no notnumbness notdown notthere');
    expect(markNegation("I can't feel the wee, it hurts", settings)).toBe(
      'i cant notfeel notthe notwee , it hurts',
    );
    expect(markNegation('not weak but numb', settings)).toBe('not notweak but numb');
    expect(markNegation('no a b c d e', settings)).toBe('no nota notb notc notd e');
  });

  it('when there is no negation, then the words are only lower-cased', () => {
    expect(markNegation('My Bottom is numb', settings)).toBe('my bottom is numb');
  });
});

describe('createRedFlagNet', () => {
  it('when the classifier is sure of a sign the table did not find, then it is a gap with its confidence', () => {
    const net = createRedFlagNet(keywordClassifier(0.9), settings);
    expect(net.gaps('I barely notice my wee', [])).toEqual([{ signal: 'ce.bladder', confidence: 0.9 }]);
  });

  it('when the table already found the sign, then it is not a gap', () => {
    const net = createRedFlagNet(keywordClassifier(), settings);
    expect(net.gaps('I barely notice my wee', ['ce.bladder'])).toEqual([]);
  });

  it('when the probability is under the threshold, or the sign is not one the net acts on, then nothing', () => {
    expect(createRedFlagNet(keywordClassifier(0.5), settings).gaps('I barely notice my wee', [])).toEqual([]);
    expect(createRedFlagNet(keywordClassifier(), settings).gaps('I think I have a fever', [])).toEqual([]);
  });

  it('when the message is shorter than the minimum, then it is left to the table', () => {
    expect(createRedFlagNet(keywordClassifier(), settings).gaps('wee gone', [])).toEqual([]);
  });

  it('when a question names nobody, then it asks about the sign and reports nothing; with a person it counts', () => {
    const net = createRedFlagNet(keywordClassifier(), settings);
    expect(net.gaps('can sciatica change your wee?', [])).toEqual([]);
    expect(net.gaps('what does a numb bottom mean', [])).toEqual([]);
    expect(net.gaps('can my husband even feel his wee?', []).map((g) => g.signal)).toEqual(['ce.bladder']);
  });

  it('when a sentence denies a symptom, reassures, or has an explanation, then it is left to the table', () => {
    const net = createRedFlagNet(keywordClassifier(), settings);
    expect(net.gaps('there is no numbness round my bottom', [])).toEqual([]);
    expect(net.gaps('my bottom feels normal again', [])).toEqual([]);
    expect(net.gaps('my bottom went odd years ago', [])).toEqual([]);
    expect(net.gaps('my bottom ached after the marathon', [])).toEqual([]);
    // A negation before "normal" is not reassurance.
    expect(net.gaps('my bottom does not feel normal', []).map((g) => g.signal)).toEqual([
      'ce.saddle_numbness',
    ]);
  });

  it('when a sign is buried in a long message, then each sentence is read on its own', () => {
    const classifier = keywordClassifier();
    const net = createRedFlagNet(classifier, settings);
    const text = 'What helps sciatica? It is in my left leg. Also I barely notice my wee now.';
    expect(net.gaps(text, []).map((g) => g.signal)).toEqual(['ce.bladder']);
    expect(classifier.seen).toContain('also i barely notice my wee now .');
  });
});

describe('netExamples', () => {
  const table = {
    rules: [
      {
        id: 'a',
        signal: 'ce.bladder',
        patterns: ['x'],
        fires: ['cant pee'],
        does_not_fire: ['can pee fine'],
      },
    ],
  } as unknown as RedFlagTable;

  it('when built, then fires carry the signal and does_not_fire, the file\'s none and other texts are "none"', () => {
    const examples = netExamples(
      table,
      {
        format: 1,
        settings: {
          threshold: 0.5,
          min_words: 3,
          denials: [],
          symptom_words: [],
          reassurance: [],
          not_when: [],
          acts_on: ['ce.bladder'],
        },
        wordings: { 'ce.bladder': ['no wee since last night'] },
        none: ['my bladder is fine'],
      },
      ['what is sciatica'],
    );
    expect(examples).toEqual([
      { text: 'cant pee', label: 'ce.bladder' },
      { text: 'can pee fine', label: 'none' },
      { text: 'no wee since last night', label: 'ce.bladder' },
      { text: 'my bladder is fine', label: 'none' },
      { text: 'what is sciatica', label: 'none' },
    ]);
  });
});

describe('loadRedFlagNetFile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'red-flag-net-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const valid = (signal: string) => `format: 1
settings:
  threshold: 0.5
  min_words: 3
  denials: [no]
  symptom_words: [numb]
  reassurance: [fine]
  not_when: [years ago]
  acts_on: [ce.bladder]
wordings:
  ${signal}: [cant wee]
none: [all fine]
`;

  it('when the file is absent, then there is no net and no problem', () => {
    expect(loadRedFlagNetFile(path.join(dir, 'absent.yaml'))).toEqual({ net: undefined, problems: [] });
  });

  it('when the file is valid, then it is read with no problems', () => {
    const { net, problems } = loadRedFlagNetFile(write('ok.yaml', valid('ce.bladder')));
    expect(problems).toEqual([]);
    expect(net?.settings.acts_on).toEqual(['ce.bladder']);
  });

  it('when a signal is unknown, then the problem names it', () => {
    const { problems } = loadRedFlagNetFile(write('bad-signal.yaml', valid('ce.made_up')));
    expect(problems.map((p) => p.entry)).toEqual(['ce.made_up']);
  });

  it('when the file is not YAML or breaks the schema, then there is no net and a problem', () => {
    expect(loadRedFlagNetFile(write('broken.yaml', 'format: [1')).net).toBeUndefined();
    const schema = loadRedFlagNetFile(write('schema.yaml', 'format: 1\nsettings: {}\n'));
    expect(schema.net).toBeUndefined();
    expect(schema.problems.length).toBeGreaterThan(0);
  });
});
