import { describe, expect, it } from 'vitest';
import { DIALOG_MACHINE_ID, DIALOG_MACHINE_VERSION } from '../../dialogs/conversation.machine.js';
import { initialNluContext, nluContextOf, step, type PersistedDialog } from '../../dialogs/step.js';
import { Chat, SCREEN, ask, entities, keys, makeMachine, no, pick, startTriage, yes } from './helpers.js';

const machine = makeMachine();

function storedMidTriage(): PersistedDialog {
  const chat = startTriage(new Chat(machine));
  chat.send(no());
  return chat.persisted!;
}

describe('step', () => {
  it('when a turn runs, then the record names the machine and its version, and the snapshot is plain JSON', () => {
    const r = step(machine, undefined, { type: 'user.joined', now: 1000 });
    expect(r.persisted.machineId).toBe(DIALOG_MACHINE_ID);
    expect(r.persisted.version).toBe(DIALOG_MACHINE_VERSION);
    expect(JSON.parse(JSON.stringify(r.persisted))).toEqual(r.persisted);
  });

  it('when the same record and event are stepped twice, then the results are identical (no clock, no dice)', () => {
    const stored = storedMidTriage();
    const event = { type: 'user.message' as const, nlu: yes(), now: 5_000_000 };
    expect(step(machine, stored, event)).toEqual(step(machine, stored, event));
  });

  it('when a whole symptom check is done, then the stored record stays well under 2 KB', () => {
    const chat = startTriage(new Chat(machine));
    for (const _ of SCREEN) chat.send(no());
    chat.send(entities({ locations: ['buttock', 'thigh', 'below_knee'] }));
    chat.send(entities({ durationDays: 50 }));
    chat.send(entities({ painScore: 6 }));
    chat.send(pick('option:sitting'));
    chat.send(entities({ age: 64 }));
    chat.send(pick('option:worse'));
    expect(chat.last.outcome.disposition?.level).toBe('S');
    const size = JSON.stringify(chat.persisted).length;
    console.log(`stored dialog record after a finished symptom check: ${size} bytes`);
    expect(size).toBeLessThan(1500);
  });

  it('when the stored record is from another version, then the bot restarts politely and still handles the message', () => {
    const stored = { ...storedMidTriage(), version: DIALOG_MACHINE_VERSION + 1 };
    const r = step(machine, stored, {
      type: 'user.message',
      nlu: ask('sciatica'),
      now: Date.UTC(2026, 0, 1),
    });
    expect(keys(r.replies)).toEqual(['system.restarted', 'kb.answer']);
    expect((r.persisted.snapshot as { value: unknown }).value).toBe('idle');
    expect(r.persisted.version).toBe(DIALOG_MACHINE_VERSION);
  });

  it('when the stored record is from another machine or cannot be read, then the bot restarts politely', () => {
    const good = storedMidTriage();
    const snapshot = good.snapshot as Record<string, unknown>;
    const context = snapshot.context as Record<string, unknown>;
    const broken: PersistedDialog[] = [
      { ...good, machineId: 'other' },
      { ...good, snapshot: null },
      { ...good, snapshot: 'text' },
      { ...good, snapshot: { ...snapshot, value: { triage: 'no_such_question' } } },
      { ...good, snapshot: { ...snapshot, value: 42 } },
      { ...good, snapshot: { ...snapshot, context: { ...context, signals: 'ce.bladder' } } },
      { ...good, snapshot: { ...snapshot, context: { ...context, announced: 'X' } } },
      { ...good, snapshot: { ...snapshot, status: 'done' } },
    ];
    for (const stored of broken) {
      const r = step(machine, stored, { type: 'user.message', nlu: no(), now: 9_000_000 });
      expect(keys(r.replies)[0], JSON.stringify(stored).slice(0, 120)).toBe('system.restarted');
      expect(r.replies.length).toBeGreaterThan(1);
    }
  });

  it('when the stored record is good, then the conversation carries on where it was', () => {
    const stored = storedMidTriage();
    const r = step(machine, stored, {
      type: 'user.message',
      nlu: no(),
      now: (stored.snapshot as { context: { lastAt: number } }).context.lastAt + 60_000,
    });
    expect(keys(r.replies)).toEqual(['triage.ask_location']);
  });

  it('when the NLU context is read from a record, then it matches the one the turn returned', () => {
    const chat = startTriage(new Chat(machine));
    expect(nluContextOf(chat.persisted)).toEqual(chat.last.nluContext);
    expect(chat.last.nluContext).toEqual({
      choices: [
        { payload: 'answer:no', labelKey: 'choice.none_of_these' },
        { payload: 'answer:yes', labelKey: 'choice.yes_one_or_more' },
        { payload: 'answer:unsure', labelKey: 'choice.unsure' },
      ],
      expecting: 'yes_no',
    });
  });

  it('when there is no record yet or it is unreadable, then the NLU context is the empty one', () => {
    expect(nluContextOf(undefined)).toEqual(initialNluContext());
    expect(nluContextOf({ machineId: 'x', version: 1, snapshot: 'broken' })).toEqual({});
  });

  it('when the NLU heard signals, then the machine keeps them (known signals only) and the NLU context does not carry them back', () => {
    const chat = new Chat(machine);
    chat.join();
    chat.send({ ...ask('sciatica'), signals: ['neuro.numbness', 'made.up'] });
    expect(chat.context.signals).toEqual(['neuro.numbness']);
    expect(chat.last.nluContext).not.toHaveProperty('signals');
  });
});
