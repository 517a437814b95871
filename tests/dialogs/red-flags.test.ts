import { beforeAll, describe, expect, it } from 'vitest';
import type { DialogEvent } from '../../dialogs/conversation.machine.js';
import type { Level } from '../../dialogs/types.js';
import {
  Chat,
  SCREEN,
  TABLE,
  ask,
  intent,
  keys,
  makeMachine,
  no,
  payloads,
  pick,
  redFlag,
  startTriage,
  waysToEveryState,
  yes,
} from './helpers.js';

/** Every E and U signal of the test table, with the rule it fires. */
const RED_FLAGS: Array<{ signal: string; level: Level; ruleId: string; reason: string }> = TABLE.rules
  .filter((r) => r.level === 'E' || r.level === 'U')
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
        'triage.consent',
        'triage.bladder',
        'triage.progress',
      ]),
    );
  });

  it('when a red-flag signal (E or U) is heard in any state, then the bot escalates at that level: at once, except an urgent one during the red-flag screen, which waits for the screen to finish', () => {
    expect(RED_FLAGS.length).toBeGreaterThanOrEqual(15);
    const screenNotLast = new Set(SCREEN.slice(0, -1).map((q) => `triage.${q}`));
    for (const [state, events] of ways) {
      for (const flag of RED_FLAGS) {
        const chat = new Chat(machine);
        chat.replay(events);
        const r = chat.send(redFlag(flag.signal, flag.level, flag.ruleId));
        if (flag.level === 'U' && screenNotLast.has(state)) {
          const where = `${flag.signal} in ${state}`;
          expect(r.outcome.disposition, where).toBeUndefined();
          expect(chat.state.startsWith('triage.'), where).toBe(true);
          // The rest of the screen is asked; its end gives the urgent advice, before any detail question.
          let end = r;
          for (let i = 0; i < 2 * SCREEN.length && chat.state.startsWith('triage.'); i++)
            end = chat.send(no());
          expect(end.outcome.disposition, where).toMatchObject({ level: 'U' });
          expect(end.outcome.disposition!.ruleIds, where).toContain(flag.ruleId);
          expect(chat.state, where).toBe('idle');
          continue;
        }
        const said = keys(r.replies).filter((k) => !WELCOME.includes(k));
        const where = `${flag.signal} in ${state}`;
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
    chat.send(redFlag('pain.night', 'U', 'night'));
    // The NLU keeps reporting the flag over the conversation's signals.
    const again = chat.send({ ...ask('sciatica'), redFlags: [{ ruleId: 'night', level: 'U' }] });
    expect(keys(again.replies)).toEqual(['kb.answer']);
    expect(again.outcome.disposition).toBeUndefined();
    const otherU = chat.send(redFlag('weight_loss', 'U', 'weight'));
    expect(otherU.outcome.disposition).toBeUndefined();
    const higher = chat.send(redFlag('ce.bowel', 'E', 'ce'));
    expect(keys(higher.replies)[0]).toBe('escalate.emergency');
    expect(higher.outcome.disposition?.level).toBe('E');
  });

  it('when several flags fire at once, then the highest level decides and its rules are recorded', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send({
      ...redFlag('ce.bladder', 'E', 'ce'),
      signals: ['ce.bladder', 'systemic.fever'],
      redFlags: [
        { ruleId: 'fever', level: 'U' },
        { ruleId: 'ce', level: 'E' },
      ],
    });
    expect(r.outcome.disposition).toMatchObject({ level: 'E', ruleIds: ['ce'] });
  });

  it('when a red flag was escalated, then questions are still answered and booking and the front desk still work', () => {
    const chat = new Chat();
    chat.join();
    chat.send(redFlag('systemic.fever', 'U', 'fever'));
    expect(chat.send(ask('sciatica')).outcome.answered).toEqual({ topic: 'sciatica' });
    expect(chat.send(intent('book_appointment')).outcome.bookingOffered).toBe(true);
    expect(chat.send(intent('handoff')).outcome.handoff).toMatchObject({
      reason: 'requested',
      disposition: { level: 'U', via: 'red_flag' },
    });
  });

  it('when the emergency advice was given, then the symptom check is not offered and asking for it repeats the advice', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(redFlag('trauma.major', 'E', 'trauma'));
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
    chat.send(redFlag('weight_loss', 'U', 'weight'));
    startTriage(chat);
    expect(chat.state).toBe('triage.bladder');
    const r = chat.send(yes());
    expect(r.outcome.disposition).toMatchObject({ level: 'E', via: 'triage' });
  });

  it('when the first message carries a red flag, then the bot welcomes and escalates in the same turn', () => {
    const chat = new Chat();
    const r = chat.send(redFlag('ce.saddle_numbness', 'E', 'ce'));
    expect(keys(r.replies).slice(0, 4)).toEqual([...WELCOME, 'escalate.emergency']);
  });

  it('when the user says yes to the escalation offer, then the front desk is handed the disposition', () => {
    const chat = new Chat();
    chat.join();
    chat.send(redFlag('infection.risk', 'U', 'infection'));
    const r = chat.send(yes());
    expect(r.outcome.handoff).toMatchObject({
      reason: 'triage',
      disposition: { level: 'U', ruleIds: ['infection'] },
    });
  });
});
