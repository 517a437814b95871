import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTriageTable } from '../../src/knowledge/clinical-tables.js';
import {
  Chat,
  SIGNS,
  ask,
  clearScreen,
  entities,
  followUp,
  gibberish,
  intent,
  keys,
  makeMachine,
  nlu,
  no,
  payloads,
  pick,
  redFlag,
  startTriage,
  unsure,
  yes,
} from './helpers.js';

/** Finish the details after a clear screen with answers that set no signal. */
function clearDetails(chat: Chat) {
  chat.send(entities({ locations: ['buttock'] }));
  chat.send(entities({ durationDays: 5 }));
  chat.send(entities({ painScore: 4 }));
  chat.send(pick('option:sitting'));
  chat.send(entities({ age: 35 }));
  return chat.send(pick('option:better'));
}

describe('welcome', () => {
  it('when the user joins, then the bot says who it is, what it cannot do, the emergency advice, the data use, and offers the four choices', () => {
    const chat = new Chat();
    const r = chat.join();
    expect(keys(r.replies)).toEqual([
      'welcome.intro',
      'welcome.emergency',
      'welcome.privacy',
      'welcome.menu',
    ]);
    expect(payloads(r.replies)).toEqual([
      'intent:start_triage',
      'intent:question',
      'intent:book_appointment',
      'intent:handoff',
    ]);
    expect(chat.state).toBe('idle');
    expect(r.nluContext.expecting).toBe('choice');
    expect(r.nluContext.choices?.map((c) => c.labelKey)).toEqual([
      'choice.check_symptoms',
      'choice.ask_question',
      'choice.book',
      'choice.front_desk',
    ]);
  });

  it('when the first message is only a greeting and nobody joined, then the welcome answers it (once)', () => {
    const chat = new Chat();
    const r = chat.send(intent('greeting'));
    expect(keys(r.replies)).toEqual([
      'welcome.intro',
      'welcome.emergency',
      'welcome.privacy',
      'welcome.menu',
    ]);
  });

  it('when the first message is a question and nobody joined, then the bot welcomes and answers it', () => {
    const chat = new Chat();
    const r = chat.send(ask('sciatica'));
    expect(keys(r.replies)).toEqual(['welcome.intro', 'welcome.emergency', 'welcome.privacy', 'kb.answer']);
    expect(r.outcome.answered).toEqual({ topic: 'sciatica' });
  });

  it('when the user joins again later, then the bot welcomes them back with the menu, not the full welcome', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.join();
    expect(keys(r.replies)).toEqual(['dialog.welcome_back', 'dialog.menu']);
  });
});

describe('questions', () => {
  it('when a question is clear, then the entry is answered with its related entries as choices and becomes the topic', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(ask('sciatica'));
    expect(r.replies).toEqual([
      {
        key: 'kb.answer',
        slots: { entry: 'sciatica' },
        choices: [
          { payload: 'topic:herniated-disc', labelKey: 'kb.title.herniated-disc' },
          { payload: 'topic:piriformis-syndrome', labelKey: 'kb.title.piriformis-syndrome' },
        ],
      },
    ]);
    expect(r.outcome.answered).toEqual({ topic: 'sciatica' });
    expect(r.nluContext.topic).toBe('sciatica');
  });

  it('when a follow-up names no topic and the topic has that section, then the section of the topic is answered', () => {
    const chat = new Chat();
    chat.join();
    chat.send(ask('sciatica'));
    const r = chat.send(followUp('treatment'));
    expect(r.replies[0]).toMatchObject({
      key: 'kb.answer',
      slots: { entry: 'sciatica', section: 'treatment' },
    });
    expect(r.outcome.answered).toEqual({ topic: 'sciatica', aspect: 'treatment' });
  });

  it('when a follow-up asks for a section the topic lacks, then the general entry answers and the topic is kept', () => {
    const chat = new Chat();
    chat.join();
    chat.send(ask('herniated-disc'));
    const r = chat.send(followUp('outlook'));
    expect(r.replies[0]).toMatchObject({ key: 'kb.answer', slots: { entry: 'recovery-time' } });
    expect(r.nluContext.topic).toBe('herniated-disc');
    // The next follow-up is still about the herniated disc.
    const next = chat.send(followUp('symptoms'));
    expect(next.replies[0]).toMatchObject({ slots: { entry: 'herniated-disc', section: 'symptoms' } });
  });

  it('when a follow-up names the current topic again, then it is a follow-up on that topic', () => {
    const chat = new Chat();
    chat.join();
    chat.send(ask('sciatica'));
    const r = chat.send(ask('sciatica', 0.9, 'outlook'));
    expect(r.replies[0]).toMatchObject({ slots: { entry: 'sciatica', section: 'outlook' } });
  });

  it('when an aspect is asked with no topic yet, then the general entry for it answers', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(followUp('causes'));
    expect(r.replies[0]).toMatchObject({ key: 'kb.answer', slots: { entry: 'buttock-pain-causes' } });
  });

  it('when a question names a topic and an aspect it has, then that section answers', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(ask('herniated-disc', 0.9, 'symptoms'));
    expect(r.replies[0]).toMatchObject({ slots: { entry: 'herniated-disc', section: 'symptoms' } });
  });

  it('when the user asks to be told more, then the "more" section of the topic answers', () => {
    const chat = new Chat();
    chat.join();
    chat.send(ask('sciatica'));
    const r = chat.send(intent('tell_me_more'));
    expect(r.replies[0]).toMatchObject({ key: 'kb.answer', slots: { entry: 'sciatica', section: 'more' } });
  });

  it('when the topic has no "more" section, then the bot says so and offers related topics', () => {
    const chat = new Chat();
    chat.join();
    chat.send(ask('piriformis-syndrome'));
    const r = chat.send(intent('tell_me_more'));
    expect(keys(r.replies)).toEqual(['kb.no_more']);
    expect(payloads(r.replies)).toEqual(['topic:sciatica']);
  });

  it('when "tell me more" comes with no topic, then the bot asks what about', () => {
    const chat = new Chat();
    chat.join();
    expect(keys(chat.send(intent('tell_me_more')).replies)).toEqual(['kb.no_topic']);
  });

  it('when the top two topics are close and the best is fairly likely, then it answers the best and offers the other', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(ask('sciatica', 0.72, undefined, [['herniated-disc', 0.7]]));
    expect(keys(r.replies)).toEqual(['kb.answer', 'kb.or_did_you_mean']);
    expect(r.outcome.answered).toEqual({ topic: 'sciatica' });
    expect(payloads(r.replies)).toEqual(['topic:herniated-disc']);
    expect(r.outcome.didYouMean).toEqual(['herniated-disc']);
    // Picking the other answers it.
    const picked = chat.send(pick('topic:herniated-disc'));
    expect(picked.outcome.answered).toEqual({ topic: 'herniated-disc' });
  });

  it('when two topics are fairly likely and close, then the bot asks "did you mean" with both instead of answering', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(ask('sciatica', 0.42, undefined, [['herniated-disc', 0.4]]));
    expect(keys(r.replies)).toEqual(['kb.did_you_mean']);
    expect(payloads(r.replies)).toEqual(['topic:sciatica', 'topic:herniated-disc']);
    expect(r.outcome.answered).toBeUndefined();
  });

  it('when a statement says a warning sign is absent ("my bladder is fine"), then it is acknowledged, not met with "out of scope"', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(nlu({ intent: 'out_of_scope', confidence: 0.8, mentions: ['ce.bladder'] }));
    expect(keys(r.replies)).toEqual(['dialog.reassured']);
    expect(r.outcome.outOfScope).toBeUndefined();
    expect(r.outcome.disposition).toBeUndefined();
  });

  it('when an out-of-scope message talks about no warning sign, or reports one, then it is not taken as reassurance', () => {
    const chat = new Chat();
    chat.join();
    expect(keys(chat.send(nlu({ intent: 'out_of_scope', confidence: 0.8 })).replies)).toEqual([
      'kb.out_of_scope',
    ]);
    const flagged = chat.send(
      nlu({ intent: 'out_of_scope', confidence: 0.8, mentions: ['ce.bladder'], signals: ['ce.bladder'] }),
    );
    expect(keys(flagged.replies)).not.toContain('dialog.reassured');
  });

  it('when only one topic is fairly likely, then the bot never offers a one-item "did you mean" menu', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(ask('sciatica', 0.45));
    expect(keys(r.replies)).not.toContain('kb.did_you_mean');
    expect(r.outcome.answered).toBeUndefined();
  });

  it('when the question carries a qualifier the knowledge cannot answer, then the bot says so instead of the general answer', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send({ ...ask('treatment-overview', 0.95), qualifier: 'pregnancy' });
    expect(keys(r.replies)).toEqual(['kb.qualifier.pregnancy']);
    expect(r.outcome.answered).toBeUndefined();
    expect(payloads(r.replies)).toContain('intent:handoff');
  });

  it('when a message asks two questions, then both are answered', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send({ ...ask('sciatica', 0.95), also: { topic: 'recovery-time' } });
    expect(keys(r.replies)).toEqual(['kb.answer', 'kb.answer']);
    expect(r.replies.map((x) => x.slots?.entry)).toEqual(['sciatica', 'recovery-time']);
  });

  it('when confidence is low, then the bot says it is not sure, never answers, and offers the front desk', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(ask('sciatica', 0.1));
    expect(keys(r.replies)).toEqual(['kb.not_sure']);
    expect(payloads(r.replies)).toContain('intent:handoff');
    expect(r.outcome.answered).toBeUndefined();
  });

  it('when topics the knowledge base does not hold come back, then they are never answered', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(ask('no-such-entry', 0.99));
    expect(keys(r.replies)).toEqual(['kb.not_sure']);
  });

  it('when the question is out of scope, then the bot says so and a "yes" hands off with that reason', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(intent('out_of_scope'));
    expect(keys(r.replies)).toEqual(['kb.out_of_scope']);
    expect(r.outcome.outOfScope).toBe(true);
    expect(payloads(r.replies)).toContain('intent:handoff');
    const accepted = chat.send(yes());
    expect(keys(accepted.replies)).toEqual(['handoff.info']);
    expect(accepted.outcome.handoff).toEqual({ reason: 'out_of_scope', answers: {} });
  });

  it('when two messages in a row are not understood, then the bot offers a person, and accepting hands off', () => {
    const chat = new Chat();
    chat.join();
    expect(keys(chat.send(gibberish()).replies)).toEqual(['dialog.not_understood']);
    const second = chat.send(gibberish());
    expect(keys(second.replies)).toEqual(['dialog.offer_person']);
    expect(payloads(second.replies)[0]).toBe('intent:handoff');
    expect(chat.send(yes()).outcome.handoff?.reason).toBe('not_understood');
  });

  it('when an understood message comes between two that are not, then no person is offered yet', () => {
    const chat = new Chat();
    chat.join();
    chat.send(gibberish());
    chat.send(ask('sciatica'));
    expect(keys(chat.send(gibberish()).replies)).toEqual(['dialog.not_understood']);
  });

  it('when an offer is declined, then the bot offers the menu and does not hand off', () => {
    const chat = new Chat();
    chat.join();
    chat.send(intent('out_of_scope'));
    const r = chat.send(no());
    expect(keys(r.replies)).toEqual(['dialog.offer_declined']);
    expect(r.outcome.handoff).toBeUndefined();
  });

  it('when "yes" comes with nothing offered, then the bot shows the menu', () => {
    const chat = new Chat();
    chat.join();
    chat.send(ask('sciatica'));
    expect(keys(chat.send(yes()).replies)).toEqual(['dialog.menu']);
  });

  it('when the user picks "ask a question", then the bot invites the question', () => {
    const chat = new Chat();
    chat.join();
    expect(keys(chat.send(pick('intent:question')).replies)).toEqual(['dialog.ask_prompt']);
  });

  it('when the message is empty (an attachment only), then the bot says it reads text', () => {
    const chat = new Chat();
    chat.join();
    expect(keys(chat.send(intent('empty')).replies)).toEqual(['dialog.empty']);
  });

  it('when a command comes with low confidence, then it is not carried out', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(intent('forget_me', 0.2));
    expect(r.outcome.forget).toBeUndefined();
    expect(keys(r.replies)).toEqual(['dialog.not_understood']);
  });
});

describe('booking and handoff', () => {
  it('when the user asks to book, then the booking reply offers the booking link', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(intent('book_appointment'));
    expect(keys(r.replies)).toEqual(['booking.info']);
    expect(payloads(r.replies)).toEqual(['open:booking']);
    expect(r.outcome.bookingOffered).toBe(true);
  });

  it('when the user wants to cancel, then the cancellation reply is said', () => {
    const chat = new Chat();
    chat.join();
    expect(keys(chat.send(intent('cancel_appointment')).replies)).toEqual(['booking.cancel']);
  });

  it('when the user asks for a person after a symptom check, then the handoff carries the disposition and the answers as codes', () => {
    const chat = startTriage();
    clearScreen(chat);
    clearDetails(chat);
    const r = chat.send(intent('handoff'));
    expect(keys(r.replies)).toEqual(['handoff.info']);
    expect(r.outcome.handoff?.reason).toBe('requested');
    expect(r.outcome.handoff?.disposition).toMatchObject({ level: 'C', via: 'triage', version: 'test-1' });
    expect(r.outcome.handoff?.answers).toMatchObject({
      bladder: 'no',
      location: 'buttock',
      severity: 'moderate',
      age: '20_to_59',
    });
    for (const code of Object.values(r.outcome.handoff!.answers)) expect(code).toMatch(/^[a-z0-9_+]+$/);
  });
});

describe('symptom check', () => {
  it('when the user asks for the check, then one line opens it and the emergency signs come at once as one question, then the urgent signs, then the details', () => {
    const chat = new Chat();
    chat.join();
    const start = chat.send(pick('intent:start_triage'));
    expect(keys(start.replies)).toEqual(['triage.start', 'triage.ask_emergency']);
    expect(payloads(start.replies)).toEqual(['answer:no', 'answer:yes', 'answer:unsure']);
    expect(start.nluContext.expecting).toBe('yes_no');
    expect(keys(chat.send(no()).replies)).toEqual(['triage.ask_urgent']);
    expect(keys(chat.send(no()).replies)).toEqual(['triage.ask_location']);
    // "None of these" answers every sign of the group.
    expect(chat.context.answers).toMatchObject(Object.fromEntries(SIGNS.map((q) => [q, 'no'])));
  });

  it('when "not now" comes at the first question, then the check stops (consent was only implied); a plain "no" is an answer', () => {
    const chat = startTriage();
    const r = chat.send(nlu({ intent: 'deny', notNow: true }));
    expect(keys(r.replies)).toEqual(['triage.stopped']);
    expect(chat.state).toBe('idle');
    const again = startTriage(chat);
    expect(again.state).toBe('triage.emergency');
    chat.send(no());
    expect(chat.state).toBe('triage.urgent');
  });

  it('when every answer is clear and nothing is found, then the disposition is C with self-care, safety-netting and a booking offer', () => {
    const chat = startTriage();
    clearScreen(chat);
    const r = clearDetails(chat);
    expect(r.outcome.disposition).toEqual({ level: 'C', ruleIds: [], version: 'test-1', via: 'triage' });
    expect(keys(r.replies)).toEqual([
      'disposition.self_care',
      'disposition.self_care_advice',
      'safety.intro',
      'safety.emergency_signs',
      'safety.urgent_signs',
      'safety.review',
      'disposition.next_steps',
    ]);
    expect(payloads(r.replies)[0]).toBe('open:booking');
    expect(payloads(r.replies)).toEqual(
      expect.arrayContaining(['topic:treatment-overview', 'topic:recovery-time']),
    );
    expect(r.outcome.bookingOffered).toBe(true);
    expect(chat.state).toBe('idle');
  });

  it('when the age is over 60, then the disposition is S with the rule and its reason, and a "yes" then books', () => {
    const chat = startTriage();
    clearScreen(chat);
    chat.send(entities({ locations: ['low_back'] }));
    chat.send(entities({ durationDays: 5 }));
    chat.send(entities({ painScore: 3 }));
    chat.send(pick('option:bending'));
    chat.send(entities({ age: 67 }));
    const r = chat.send(pick('option:better'));
    expect(r.outcome.disposition).toMatchObject({ level: 'S', ruleIds: ['age'] });
    expect(keys(r.replies)).toEqual([
      'disposition.soon',
      'escalate.because',
      'reason.age',
      'safety.intro',
      'safety.emergency_signs',
      'safety.urgent_signs',
      'safety.review',
      'disposition.next_steps',
    ]);
    const booked = chat.send(yes());
    expect(keys(booked.replies)).toEqual(['booking.info']);
  });

  it('when the pain has lasted over six weeks, then the duration sets the signal and the disposition is S', () => {
    const chat = startTriage();
    clearScreen(chat);
    chat.send(entities({ locations: ['thigh'] }));
    chat.send(entities({ durationDays: 60 }));
    expect(chat.context.signals).toContain('duration.over_6_weeks');
    chat.send(entities({ painScore: 3 }));
    chat.send(pick('option:sitting'));
    chat.send(entities({ age: 40 }));
    expect(chat.send(pick('option:better')).outcome.disposition?.level).toBe('S');
  });

  it('when the pain is the same after two weeks or more of self-care, then it counts as not improving (S)', () => {
    const chat = startTriage();
    clearScreen(chat);
    chat.send(entities({ locations: ['buttock'] }));
    chat.send(pick('option:2_to_6_weeks'));
    chat.send(entities({ painScore: 5 }));
    chat.send(pick('option:walking_standing'));
    chat.send(entities({ age: 30 }));
    const r = chat.send(no());
    expect(chat.context.answers).toMatchObject({ duration: '2_to_6_weeks', progress: 'same' });
    expect(r.outcome.disposition?.level).toBe('S');
  });

  it('when the emergency signs get "yes, one or more", then the check stops at once with the emergency disposition (safety first: whichever sign it was)', () => {
    const chat = startTriage();
    const r = chat.send(yes());
    expect(r.outcome.disposition).toEqual({
      level: 'E',
      ruleIds: ['policy.emergency_screen_yes'],
      version: 'test-1',
      via: 'triage',
    });
    expect(keys(r.replies)).toEqual([
      'disposition.emergency',
      'escalate.because',
      'triage.reason_emergency_screen',
    ]);
    expect(payloads(r.replies)).toEqual(['intent:handoff']);
    expect(r.outcome.bookingOffered).toBeUndefined();
    expect(chat.state).toBe('idle');
    expect(chat.context.answers).toEqual({ emergency: 'yes' });
  });

  it("when the emergency answer names the sign, then it escalates at once with that sign's rule", () => {
    const chat = startTriage();
    const r = chat.send({ ...yes(), signals: ['ce.saddle_numbness'] });
    expect(r.outcome.disposition).toMatchObject({ level: 'E', ruleIds: ['ce'] });
    expect(chat.context.signals).toContain('ce.saddle_numbness');
    expect(chat.state).toBe('idle');
  });

  it('when the urgent signs get a yes, then the bot narrows down which, asks any sign that could still make it an emergency, and ends urgent before any detail question', () => {
    const chat = startTriage();
    chat.send(no());
    const afterYes = chat.send(yes());
    expect(afterYes.outcome.disposition).toBeUndefined();
    expect(keys(afterYes.replies)).toEqual(['triage.ask_urgent_which']);
    expect(payloads(afterYes.replies)).toContain('option:weight_loss');
    // Weight loss with a serious injury would be an emergency; with the other signs still urgent.
    expect(keys(chat.send(pick('option:weight_loss')).replies)).toEqual(['triage.ask_injury']);
    const r = chat.send(no());
    expect(r.outcome.disposition).toMatchObject({ level: 'U', ruleIds: ['weight'] });
    expect(keys(r.replies)).toEqual([
      'disposition.urgent',
      'escalate.because',
      'reason.weight',
      'safety.intro',
      'safety.emergency_signs',
      'disposition.next_steps',
    ]);
    expect(payloads(r.replies)).toEqual(['intent:handoff', 'open:booking']);
    expect(chat.state).toBe('idle');
  });

  it('when an urgent "yes" (leg weakness) is followed by fever on the screen, then the combination escalates to E at once', () => {
    const real = loadTriageTable(path.join(import.meta.dirname, '../../knowledge/triage-rules.yaml')).table!;
    const chat = startTriage(new Chat(makeMachine({ triage: real })));
    chat.send(no());
    chat.send(yes());
    expect(chat.send(pick('option:leg_weakness')).outcome.disposition).toBeUndefined();
    expect(chat.state).toBe('triage.fever');
    const r = chat.send(yes()); // fever
    expect(r.outcome.disposition?.level).toBe('E');
    expect(chat.state).toBe('idle');
  });

  it('when a detail answer sets a U signal (worse at night), then the check stops with U', () => {
    const chat = startTriage();
    clearScreen(chat);
    chat.send(entities({ locations: ['buttock'] }));
    chat.send(entities({ durationDays: 10 }));
    chat.send(entities({ painScore: 6 }));
    const r = chat.send(pick('option:night_rest'));
    expect(r.outcome.disposition).toMatchObject({ level: 'U', ruleIds: ['night'], via: 'triage' });
    expect(chat.state).toBe('idle');
  });

  it('when the pain score is 10, then it counts as unbearable (U)', () => {
    const chat = startTriage();
    clearScreen(chat);
    chat.send(entities({ locations: ['foot'] }));
    chat.send(entities({ durationDays: 3 }));
    expect(chat.send(entities({ painScore: 10 })).outcome.disposition?.level).toBe('U');
  });

  it('when answers come as free text ("nope", "about three weeks", "7/10", "45"), then they are understood', () => {
    const chat = startTriage();
    chat.send(intent('deny', 0.8)); // "nope"
    expect(chat.state).toBe('triage.urgent');
    chat.send(intent('deny', 0.7)); // "not really"
    chat.send(nlu({ intent: 'unknown', entities: { locations: ['buttock', 'thigh'] } })); // "bum and back of my leg"
    chat.send(nlu({ intent: 'unknown', entities: { durationDays: 21 } })); // "about three weeks"
    chat.send(nlu({ intent: 'unknown', entities: { painScore: 7 } })); // "7/10"
    chat.send(nlu({ intent: 'unknown', signals: ['pain.cough'] })); // "when I sneeze" -> U, stops
    expect(chat.context.answers).toMatchObject({
      location: 'buttock+thigh',
      duration: '2_to_6_weeks',
      severity: 'severe',
    });
    // An urgent sign once the screen is done: the urgent advice at once.
    expect(chat.last.outcome.disposition).toMatchObject({ level: 'U', ruleIds: ['cough'] });
    expect(chat.state).toBe('idle');
  });

  it('when an answer cannot be understood, then the question is asked again in other words (a .retry key) and the state stays', () => {
    const chat = startTriage();
    chat.send(no());
    const r = chat.send(gibberish());
    expect(keys(r.replies)).toEqual(['triage.ask_urgent.retry']);
    expect(payloads(r.replies)).toEqual(['answer:no', 'answer:yes', 'answer:unsure']);
    expect(chat.state).toBe('triage.urgent');
  });

  it('when the answer is "not sure", then it is not taken as "no": a group is asked one sign at a time, a sign is asked again', () => {
    const chat = startTriage();
    const r = chat.send(unsure());
    expect(keys(r.replies)).toEqual(['triage.ask_bladder']);
    expect(payloads(r.replies)).toEqual(['answer:yes', 'answer:no', 'answer:unsure']);
    expect(chat.state).toBe('triage.bladder');
    expect(keys(chat.send(unsure()).replies)).toEqual(['triage.ask_bladder.retry']);
    expect(chat.state).toBe('triage.bladder');
    chat.send(no());
    expect(chat.state).toBe('triage.bowel');
  });

  it('when a detail answer stays unclear, then it is recorded as unclear and the final level moves one step up', () => {
    const chat = startTriage();
    clearScreen(chat);
    chat.send(gibberish());
    chat.send(gibberish()); // location unclear
    expect(chat.context.answers).toMatchObject({ location: 'unclear' });
    chat.send(entities({ durationDays: 5 }));
    chat.send(entities({ painScore: 2 }));
    chat.send(pick('option:sitting'));
    chat.send(entities({ age: 30 }));
    const r = chat.send(pick('option:better'));
    expect(r.outcome.disposition).toMatchObject({ level: 'S', ruleIds: ['policy.unclear_answer'] });
    expect(keys(r.replies)).toContain('triage.reason_unclear_answer');
  });

  it('when an unclear answer adds to a level, then it never moves the level down (S becomes U)', () => {
    const chat = startTriage();
    clearScreen(chat);
    chat.send(entities({ locations: ['thigh'] }));
    chat.send(entities({ durationDays: 5 }));
    chat.send(entities({ painScore: 2 }));
    chat.send(gibberish());
    chat.send(gibberish()); // worse: unclear
    // S for the age, one step up for the unclear answer: U, and urgent advice needs no more details.
    const r = chat.send(entities({ age: 70 }));
    expect(r.outcome.disposition).toMatchObject({ level: 'U', ruleIds: ['age', 'policy.unclear_answer'] });
  });

  it('when a bladder, bowel, saddle or sex question stays unclear, then the level is at least U', () => {
    for (const critical of ['bladder', 'bowel', 'saddle', 'sexual']) {
      const chat = startTriage();
      chat.send(unsure()); // the emergency signs, one at a time
      for (const q of ['bladder', 'bowel', 'saddle', 'sexual', 'both_legs']) {
        if (q === critical) {
          chat.send(gibberish());
          chat.send(gibberish());
        } else {
          chat.send(no());
        }
      }
      // The urgent signs: none. U is settled after the screen; no details are needed.
      const r = chat.send(no());
      expect(chat.context.answers).toMatchObject({ [critical]: 'unclear' });
      expect(r.outcome.disposition?.level, critical).toBe('U');
      expect(r.outcome.disposition?.ruleIds).toEqual([
        'policy.unclear_answer',
        'policy.unclear_red_flag_answer',
      ]);
    }
  });

  it('when a question is asked in the middle of the check, then it is answered and the check resumes at the same question', () => {
    const chat = startTriage();
    chat.send(no());
    const r = chat.send(ask('sciatica'));
    expect(keys(r.replies)).toEqual(['kb.answer', 'triage.continue', 'triage.ask_urgent']);
    expect(r.replies[0]!.choices).toBeUndefined();
    expect(payloads(r.replies)).toEqual(['answer:no', 'answer:yes', 'answer:unsure']);
    expect(chat.state).toBe('triage.urgent');
    chat.send(no());
    expect(chat.state).toBe('triage.location');
  });

  it('when a question comes mid-check but its words also answer the question, then it is taken as the answer', () => {
    const chat = startTriage();
    clearScreen(chat);
    chat.send(entities({ locations: ['buttock'] }));
    // "is 3 weeks long for sciatica?" while asked how long: the duration wins.
    chat.send(
      nlu({
        intent: 'question',
        topics: [{ id: 'recovery-time', confidence: 0.9 }],
        entities: { durationDays: 21 },
      }),
    );
    expect(chat.context.answers).toMatchObject({ duration: '2_to_6_weeks' });
    expect(chat.state).toBe('triage.severity');
  });

  it('when help, booking or cancelling is asked mid-check, then it is given and the same question is asked again', () => {
    for (const [message, key] of [
      [intent('help'), 'dialog.help'],
      [intent('book_appointment'), 'booking.info'],
      [intent('cancel_appointment'), 'booking.cancel'],
    ] as const) {
      const chat = startTriage();
      chat.send(no());
      const r = chat.send(message);
      expect(keys(r.replies)).toEqual([key, 'triage.continue', 'triage.ask_urgent']);
      expect(chat.state).toBe('triage.urgent');
    }
  });

  it('when "start again" is picked mid-check, then the check restarts at the first question with no answers', () => {
    const chat = startTriage();
    chat.send(no());
    const r = chat.send(pick('intent:start_triage'));
    expect(keys(r.replies)).toEqual(['triage.start', 'triage.ask_emergency']);
    expect(chat.state).toBe('triage.emergency');
    expect(chat.context.answers).toEqual({});
  });

  it('when "stop" comes mid-check, then the check stops and the menu is offered', () => {
    const chat = startTriage();
    const r = chat.send(intent('stop'));
    expect(keys(r.replies)).toEqual(['triage.stopped']);
    expect(chat.state).toBe('idle');
  });

  it('when the check is done again, then the earlier answers are cleared', () => {
    const chat = startTriage();
    clearScreen(chat);
    clearDetails(chat);
    chat.send(pick('intent:start_triage'));
    expect(chat.context.answers).toEqual({});
    expect(chat.state).toBe('triage.emergency');
  });

  it('when the nlu context is read mid-check, then it says what answer is expected', () => {
    const chat = startTriage();
    expect(chat.last.nluContext.expecting).toBe('yes_no');
    clearScreen(chat);
    chat.send(entities({ locations: ['buttock'] }));
    expect(chat.last.nluContext.expecting).toBe('duration');
    chat.send(entities({ durationDays: 2 }));
    expect(chat.last.nluContext).toMatchObject({ expecting: 'pain_score' });
    // No numbered choices with a score question: typing "2" must stay a score.
    expect(chat.last.nluContext.choices).toBeUndefined();
  });
});

describe('commands from anywhere', () => {
  it('when "restart" comes, then the conversation starts over but the signals heard are kept (safety)', () => {
    const chat = startTriage();
    chat.send(nlu({ intent: 'deny', signals: ['neuro.numbness'] }));
    const r = chat.send(intent('restart'));
    expect(keys(r.replies)).toEqual(['dialog.restarted']);
    expect(chat.state).toBe('idle');
    expect(chat.context.answers).toEqual({});
    expect(chat.context.signals).toContain('neuro.numbness');
  });

  it('when "forget me" comes, then the outcome asks the host to delete, and the context is empty', () => {
    const chat = startTriage();
    chat.send(yes());
    const r = chat.send(intent('forget_me'));
    expect(r.outcome.forget).toBe(true);
    expect(keys(r.replies)).toEqual(['dialog.forgotten']);
    expect(chat.state).toBe('start');
    expect(chat.context).toMatchObject({ signals: [], answers: {}, welcomed: false });
    expect(chat.context.announced).toBeUndefined();
  });

  it('when "goodbye" comes, then the conversation ends and a new message picks it up again', () => {
    const chat = new Chat();
    chat.join();
    expect(keys(chat.send(intent('goodbye')).replies)).toEqual(['dialog.goodbye']);
    expect(chat.state).toBe('ended');
    const r = chat.send(ask('sciatica'));
    expect(keys(r.replies)).toEqual(['kb.answer']);
    expect(chat.state).toBe('idle');
  });
});

describe('idle resume', () => {
  it('when the patient comes back after the idle time mid-check, then the bot welcomes them back and offers to carry on or start again', () => {
    const chat = startTriage();
    chat.send(no());
    const r = chat.send(no(), 31);
    expect(keys(r.replies)).toEqual(['dialog.welcome_back', 'triage.resume', 'triage.ask_urgent']);
    expect(payloads(r.replies)).toEqual(['answer:no', 'answer:yes', 'answer:unsure', 'intent:start_triage']);
    expect(chat.context.answers).toMatchObject({ emergency: 'no' });
    expect(chat.context.answers).not.toHaveProperty('urgent');
    chat.send(no());
    expect(chat.state).toBe('triage.location');
  });

  it('when the patient comes back within the idle time, then the answer is simply taken', () => {
    const chat = startTriage();
    chat.send(no(), 29);
    expect(chat.state).toBe('triage.urgent');
  });

  it('when idleMinutes is configured, then that gap is used', () => {
    const chat = startTriage(new Chat(makeMachine({ idleMinutes: 5 })));
    expect(keys(chat.send(no(), 6).replies)).toContain('triage.resume');
  });

  it('when the patient comes back after a long gap outside the check, then the bot welcomes them back and answers', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send(ask('sciatica'), 24 * 60);
    expect(keys(r.replies)).toEqual(['dialog.welcome_back', 'kb.answer']);
  });

  it('when an old offer is answered "yes" after a long gap, then the stale offer is not accepted', () => {
    const chat = new Chat();
    chat.join();
    chat.send(intent('out_of_scope'));
    const r = chat.send(yes(), 120);
    expect(r.outcome.handoff).toBeUndefined();
  });
});

describe('asides during the symptom check', () => {
  it('when the patient says thanks mid-check, then the question is asked again without counting as unclear', () => {
    const chat = startTriage();
    chat.send(intent('thanks'));
    chat.send(intent('thanks'));
    expect(chat.state).toBe('triage.emergency');
    expect(chat.context.retries).toBe(0);
  });

  it('when a question the bot cannot answer comes mid-check, then it says so honestly, never guesses, and asks again', () => {
    const chat = startTriage();
    const r = chat.send(ask('sciatica', 0.2));
    expect(keys(r.replies)).toEqual(['triage.question_later', 'triage.continue', 'triage.ask_emergency']);
    expect(r.outcome.answered).toBeUndefined();
    expect(chat.context.retries).toBe(0);
  });

  it('when the patient returns after a long gap with a red flag, then the escalation comes without a welcome back', () => {
    const chat = startTriage();
    const r = chat.send(redFlag('ce.bowel'), 120);
    expect(keys(r.replies)[0]).toBe('escalate.emergency');
  });
});

describe('chats other people can read', () => {
  it('when a symptom check is asked for in a group chat, then the bot declines, keeps health questions private, and offers the front desk and booking', () => {
    const chat = new Chat();
    chat.replay([{ type: 'user.joined', now: 0, shared: true }]);
    const r = chat.replay([
      { type: 'user.message', nlu: pick('intent:start_triage'), now: 0, shared: true },
    ])!;
    expect(keys(r.replies)).toContain('triage.private_only');
    expect(keys(r.replies)).not.toContain('triage.ask_emergency');
    expect(payloads(r.replies)).toEqual(expect.arrayContaining(['intent:handoff', 'open:booking']));
    expect(chat.state).toBe('idle');
  });

  it('when the same request comes in a one-to-one chat, then the symptom check starts', () => {
    const chat = new Chat();
    chat.replay([{ type: 'user.joined', now: 0, shared: false }]);
    const r = chat.replay([
      { type: 'user.message', nlu: pick('intent:start_triage'), now: 0, shared: false },
    ])!;
    expect(keys(r.replies)).toContain('triage.ask_emergency');
  });
});
