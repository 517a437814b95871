import { beforeAll, describe, expect, it } from 'vitest';
import type { DialogEvent } from '../../dialogs/conversation.machine.js';
import type { Level } from '../../dialogs/types.js';
import { questionById } from '../../dialogs/questions.js';
import { assess } from '../../dialogs/triage-rules.js';
import {
  Chat,
  TABLE,
  ask,
  intent,
  keys,
  makeMachine,
  no,
  otherPerson,
  payloads,
  pick,
  redFlag,
  startTriage,
  waysToEveryState,
  yes,
} from './helpers.js';

/** Every E and U signal of the test table that fires a rule alone, with that rule. */
const RED_FLAGS: Array<{ signal: string; level: Level; ruleId: string; reason: string }> = TABLE.rules
  .filter((r) => (r.level === 'E' || r.level === 'U') && !r.when.all)
  .flatMap((r) =>
    (r.when.any ?? []).map((signal) => ({ signal, level: r.level, ruleId: r.id, reason: r.reason })),
  );

const WELCOME = ['welcome.intro', 'welcome.emergency', 'welcome.privacy'];

describe('red flags in every state', () => {
  const machine = makeMachine();
  let ways: Map<string, DialogEvent[]>;
  beforeAll(() => {
    ways = waysToEveryState(machine);
  });

  it('when the states are listed, then the test covers the welcome, the hub, the end and every triage step', () => {
    expect([...ways.keys()]).toEqual(
      expect.arrayContaining([
        'start',
        'idle',
        'ended',
        'triage.emergency',
        'triage.bladder',
        'triage.urgent',
        'triage.urgent_which',
        'triage.numbness',
        'triage.progress',
      ]),
    );
  });

  it('when a red-flag signal (E or U) is heard in any state, then an emergency escalates at once; an urgent one is told and the emergency signs are screened first (in the check: before the details), and the screen ends urgent', () => {
    expect(RED_FLAGS.length).toBeGreaterThanOrEqual(12);
    for (const [state, events] of ways) {
      for (const flag of RED_FLAGS) {
        const chat = new Chat(machine);
        chat.replay(events);
        const before = chat.persisted ? [...(chat.context.signals as string[])] : [];
        const r = chat.send(redFlag(flag.signal));
        const where = `${flag.signal} in ${state}`;
        // With a sign heard before (a fever), an urgent one can make an emergency together.
        if (assess([...before, flag.signal], TABLE).level !== flag.level) {
          expect(r.outcome.disposition?.level, where).toBe('E');
          continue;
        }
        const inScreen = state.startsWith('triage.') && questionById(state.slice(7))?.phase === 'screen';
        if (flag.level === 'U' && !state.startsWith('triage.')) {
          // Outside the check: the urgent advice at once, then the emergency signs first.
          expect(keys(r.replies), where).toContain('triage.start_urgent');
          expect(keys(r.replies), where).toContain('triage.ask_emergency');
          expect(r.outcome.disposition, where).toBeUndefined();
          expect(chat.state, where).toBe('triage.emergency');
        }
        if (flag.level === 'U' && (inScreen || !state.startsWith('triage.'))) {
          // Never the urgent advice alone while warning signs are still to be asked.
          if (chat.state.startsWith('triage.')) expect(r.outcome.disposition, where).toBeUndefined();
          else expect(r.outcome.disposition, where).toMatchObject({ level: 'U', via: 'triage' });
          // The rest of the screen is asked; its end gives the urgent advice, before any detail question.
          let end = r;
          for (let i = 0; i < 30 && chat.state.startsWith('triage.'); i++) end = chat.send(no());
          expect(end.outcome.disposition, where).toMatchObject({ level: 'U', via: 'triage' });
          expect(end.outcome.disposition!.ruleIds, where).toContain(flag.ruleId);
          expect(chat.state, where).toBe('idle');
          continue;
        }
        const said = keys(r.replies).filter((k) => !WELCOME.includes(k));
        expect(said[0], where).toBe(flag.level === 'E' ? 'escalate.emergency' : 'escalate.urgent');
        expect(said, where).toContain(flag.reason);
        expect(r.outcome.disposition, where).toEqual({
          level: flag.level,
          ruleIds: [flag.ruleId],
          version: 'test-1',
          via: 'red_flag',
        });
        expect(payloads(r.replies), where).toContain('intent:handoff');
        expect(chat.state, where).toBe('idle');
      }
    }
  });
});

describe('after a red flag', () => {
  it('when the same red flag comes again, then it is not repeated; a new, higher one is', () => {
    const chat = new Chat();
    chat.join();
    chat.send(redFlag('pain.night'));
    chat.send(intent('stop'));
    // The same sign said again is already known: the question is answered, nothing escalates.
    const again = chat.send({ ...ask('sciatica'), signals: ['pain.night'] });
    expect(keys(again.replies)).toEqual(['kb.answer']);
    expect(again.outcome.disposition).toBeUndefined();
    const otherU = chat.send(redFlag('weight_loss'));
    expect(otherU.outcome.disposition).toBeUndefined();
    const higher = chat.send(redFlag('ce.bowel'));
    expect(keys(higher.replies)[0]).toBe('escalate.emergency');
    expect(higher.outcome.disposition?.level).toBe('E');
  });

  it('when several flags fire at once, then the highest level decides and its rules are recorded', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send({ ...redFlag('ce.bladder'), signals: ['ce.bladder', 'systemic.fever'] });
    expect(r.outcome.disposition).toMatchObject({ level: 'E', ruleIds: ['ce'] });
  });

  it('when a red flag was escalated, then questions are still answered and booking and the front desk still work', () => {
    const chat = new Chat();
    chat.join();
    chat.send(redFlag('systemic.fever'));
    for (let i = 0; i < 10 && chat.state !== 'idle'; i++) chat.send(no());
    expect(chat.send(ask('sciatica')).outcome.answered).toEqual({ topic: 'sciatica' });
    expect(chat.send(intent('book_appointment')).outcome.bookingOffered).toBe(true);
    expect(chat.send(intent('handoff')).outcome.handoff).toMatchObject({
      reason: 'requested',
      disposition: { level: 'U', via: 'triage' },
    });
  });

  it('when the emergency advice was given, then the symptom check is not offered and asking for it repeats the advice', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(redFlag('trauma.major'));
    expect(payloads(r.replies)).toEqual(['intent:handoff']);
    const again = chat.send(pick('intent:start_triage'));
    expect(keys(again.replies)).toEqual(['triage.after_emergency']);
    expect(chat.state).toBe('idle');
    expect(payloads(chat.send(intent('help')).replies)).not.toContain('intent:start_triage');
    // Booking reminds of the emergency first.
    expect(keys(chat.send(intent('book_appointment')).replies)).toEqual([
      'escalate.reminder',
      'booking.info',
    ]);
  });

  it('when an urgent flag was given, then the symptom check can still run and can only find the same level or higher', () => {
    const chat = new Chat();
    chat.join();
    chat.send(redFlag('weight_loss'));
    chat.send(intent('stop'));
    startTriage(chat);
    expect(chat.state).toBe('triage.emergency');
    const r = chat.send(yes());
    expect(r.outcome.disposition).toMatchObject({ level: 'E', via: 'triage' });
  });

  it('when an urgent sign and then an emergency sign come up, then the urgent advice is not the end: the emergency is told', () => {
    const chat = new Chat();
    chat.join();
    const first = chat.send(redFlag('neuro.foot_drop'));
    expect(first.outcome.disposition).toBeUndefined();
    expect(chat.state).toBe('triage.emergency');
    const r = chat.send({ ...yes(), signals: ['ce.bladder'] });
    expect(r.outcome.disposition).toMatchObject({ level: 'E', ruleIds: ['ce'] });
    expect(chat.state).toBe('idle');
  });

  it('when someone else has an emergency sign ("my husband can\'t pee"), then it escalates for them in the third person, and not for the patient', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(otherPerson('ce.bladder'));
    expect(keys(r.replies)[0]).toBe('escalate.emergency_other');
    expect(r.outcome.disposition).toMatchObject({ level: 'E', via: 'red_flag', subject: 'other' });
    expect(chat.context.announced).toBeUndefined();
    expect(chat.context.signals).toEqual([]);
    // The patient's own symptom check is still offered.
    expect(payloads(chat.send(intent('help')).replies)).toContain('intent:start_triage');
    // Said again, it is not repeated.
    expect(chat.send(otherPerson('ce.bladder')).outcome.disposition).toBeUndefined();
  });

  it('when someone else only has history ("my dad had cancer"), then nothing escalates', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send({ ...otherPerson('history.cancer'), otherSignals: [] });
    expect(r.outcome.disposition).toBeUndefined();
    expect(keys(r.replies)).not.toContain('escalate.urgent_other');
  });

  it('when the first message carries a red flag, then the bot welcomes and escalates in the same turn', () => {
    const chat = new Chat();
    const r = chat.send(redFlag('ce.saddle_numbness'));
    expect(keys(r.replies).slice(0, 4)).toEqual([...WELCOME, 'escalate.emergency']);
  });

  it('when the user says yes to the escalation offer, then the front desk is handed the disposition', () => {
    const chat = new Chat();
    chat.join();
    chat.send(redFlag('trauma.major'));
    const r = chat.send(yes());
    expect(r.outcome.handoff).toMatchObject({
      reason: 'triage',
      disposition: { level: 'E', ruleIds: ['trauma'], via: 'red_flag' },
    });
  });
});
