/**
 * Property tests: random understandings, in random states reached by random conversations, never
 * break the machine.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIALOG_MESSAGE_KEYS } from '../../dialogs/conversation.machine.js';
import { step, type PersistedDialog } from '../../dialogs/step.js';
import { CLINICAL_SIGNALS } from '../../dialogs/triage-rules.js';
import {
  INTENTS,
  type Aspect,
  type BodyLocation,
  type Intent,
  type Level,
  type Understanding,
} from '../../dialogs/types.js';
import { CATALOGUE, Chat, MINUTE, TABLE, makeMachine, waysToEveryState } from './helpers.js';

const INTENT_LIST: Intent[] = [...INTENTS];
const ASPECTS: Aspect[] = [
  'more',
  'symptoms',
  'causes',
  'diagnosis',
  'treatment',
  'outlook',
  'serious',
  'prevention',
];
const LOCATIONS: BodyLocation[] = ['low_back', 'buttock', 'thigh', 'below_knee', 'foot'];
const LEVELS: Level[] = ['E', 'U', 'S', 'C'];
const TOPIC_IDS = [...Object.keys(CATALOGUE), 'not-in-the-catalogue'];
const CHOICES = [
  'intent:start_triage',
  'intent:question',
  'intent:handoff',
  'intent:book_appointment',
  'intent:nonsense',
  'answer:yes',
  'answer:no',
  'answer:unsure',
  'answer:maybe',
  'option:sitting',
  'option:better',
  'option:2_to_6_weeks',
  'option:upper_back',
  'option:zzz',
  'topic:sciatica',
  'topic:not-in-the-catalogue',
  'open:booking',
  'garbage',
];

const understanding: fc.Arbitrary<Understanding> = fc.record(
  {
    intent: fc.constantFrom(...INTENT_LIST),
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    topics: fc.array(
      fc.record({
        id: fc.constantFrom(...TOPIC_IDS),
        confidence: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      { maxLength: 4 },
    ),
    aspect: fc.option(fc.constantFrom(...ASPECTS), { nil: undefined }),
    choice: fc.option(fc.constantFrom(...CHOICES), { nil: undefined, freq: 3 }),
    signals: fc.array(fc.constantFrom(...CLINICAL_SIGNALS, 'not.a.signal'), { maxLength: 4 }),
    report: fc.option(
      fc.record({
        subject: fc.constantFrom('self' as const, 'other' as const),
        request: fc.boolean(),
        question: fc.boolean(),
        trend: fc.option(fc.constantFrom('better' as const, 'same' as const, 'worse' as const), {
          nil: undefined,
        }),
      }),
      { nil: undefined, freq: 3 },
    ),
    otherSignals: fc.array(fc.constantFrom(...CLINICAL_SIGNALS), { maxLength: 2 }),
    mentions: fc.array(fc.constantFrom(...CLINICAL_SIGNALS), { maxLength: 3 }),
    only: fc.boolean(),
    listRef: fc.boolean(),
    notNow: fc.boolean(),
    entities: fc.record(
      {
        painScore: fc.integer({ min: -3, max: 14 }),
        durationDays: fc.integer({ min: -5, max: 800 }),
        age: fc.integer({ min: -1, max: 130 }),
        side: fc.constantFrom('left' as const, 'right' as const, 'both' as const),
        locations: fc.array(fc.constantFrom(...LOCATIONS), { maxLength: 3 }),
        choice: fc.integer({ min: 0, max: 9 }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['intent', 'confidence', 'topics', 'signals', 'entities'] },
);

const turn = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('joined' as const), gap: fc.integer({ min: 0, max: 90 }) }),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('message' as const),
      gap: fc.integer({ min: 0, max: 90 }),
      nlu: understanding,
    }),
  },
);

const KNOWN = new Set(DIALOG_MESSAGE_KEYS);
const isKnownKey = (key: string) =>
  KNOWN.has(key) || key === 'kb.answer' || TABLE.rules.some((r) => r.reason === key);

describe('properties', () => {
  const machine = makeMachine();
  const ways = waysToEveryState(machine);

  it('when random understandings arrive in random states, then the machine never throws, always replies, and stores small, valid JSON', () => {
    let largest = 0;
    const visited = new Set<string>();
    const started = new Set<string>();
    fc.assert(
      fc.property(
        fc.constantFrom(...ways.keys()),
        fc.array(turn, { minLength: 1, maxLength: 25 }),
        (state, turns) => {
          // Start in a random state (reached the shortest way), then throw random turns at it.
          started.add(state);
          const chat = new Chat(machine);
          chat.replay(ways.get(state)!);
          let persisted = chat.persisted;
          let now = chat.now;
          for (const t of turns) {
            now += t.gap * MINUTE;
            const event =
              t.kind === 'joined'
                ? { type: 'user.joined' as const, now }
                : { type: 'user.message' as const, nlu: t.nlu, now };
            const result = step(machine, persisted, event);
            expect(result.replies.length).toBeGreaterThan(0);
            for (const r of result.replies) expect(isKnownKey(r.key), r.key).toBe(true);
            // Only one reply per turn carries numbered choices (links aside), so "2" is never ambiguous.
            const withChoices = result.replies.filter((r) =>
              r.choices?.some((c) => !c.payload.startsWith('open:')),
            );
            expect(withChoices.length).toBeLessThanOrEqual(1);
            expect(result.replies.map((r) => r.key)).not.toContain('system.restarted');
            const json = JSON.stringify(result.persisted);
            expect(JSON.parse(json)).toEqual(result.persisted);
            largest = Math.max(largest, json.length);
            expect(json.length).toBeLessThan(2048);
            persisted = JSON.parse(json) as PersistedDialog;
            visited.add(JSON.stringify((persisted.snapshot as { value: unknown }).value));
          }
        },
      ),
      { numRuns: 400, seed: 20260105 },
    );
    console.log(
      `largest stored dialog record in the property run: ${largest} bytes; states visited: ${visited.size}`,
    );
    // Random turns were thrown at every state.
    expect(started.size).toBe(ways.size);
  });

  it('when a level was told, then later turns never tell a lower red-flag level as new', () => {
    fc.assert(
      fc.property(fc.array(understanding, { minLength: 1, maxLength: 30 }), (messages) => {
        let persisted: PersistedDialog | undefined;
        let now = 1_700_000_000_000;
        const order = (l: Level) => LEVELS.indexOf(l);
        let told: Level | undefined;
        for (const nlu of messages) {
          now += MINUTE;
          const result = step(machine, persisted, { type: 'user.message', nlu, now });
          // Advice about someone else the patient wrote about has its own ladder.
          const d = result.outcome.disposition?.subject === 'other' ? undefined : result.outcome.disposition;
          if (d?.via === 'red_flag') {
            if (told !== undefined) expect(order(d.level)).toBeLessThan(order(told));
          }
          if (d) told = told === undefined || order(d.level) < order(told) ? d.level : told;
          if (result.outcome.forget) told = undefined;
          persisted = result.persisted;
        }
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
