/**
 * The symptom check's new ways in and its shorter screen, at the machine level: a symptom report
 * opens the check with what it said taken as answered; the grouped warning signs and their
 * narrowing; answers about another sign; the machine's own red-flag decision.
 */
import { describe, expect, it } from 'vitest';
import {
  decide,
  initialContext,
  isAboutOtherSign,
  newRedFlag,
  nextTriageQuestion,
  prefillPatch,
  type DialogContext,
} from '../../dialogs/dialog-logic.js';
import { resolveSettings } from '../../dialogs/conversation.machine.js';
import { questionById } from '../../dialogs/questions.js';
import {
  ASPECT_FALLBACK,
  CATALOGUE,
  Chat,
  TABLE,
  ask,
  entities,
  intent,
  keys,
  nlu,
  no,
  otherPerson,
  pick,
  report,
  startTriage,
  unsure,
  yes,
} from './helpers.js';

const settings = resolveSettings({ triage: TABLE, catalogue: CATALOGUE, aspectFallback: ASPECT_FALLBACK });
const context = (over: Partial<DialogContext> = {}): DialogContext => ({ ...initialContext(), ...over });

describe('a symptom report opens the check', () => {
  it("when the first message describes the patient's pain, then the welcome, one line and the emergency signs come in the same turn", () => {
    const chat = new Chat();
    const r = chat.send(report({ entities: { locations: ['buttock'] } }));
    expect(keys(r.replies)).toEqual([
      'welcome.intro',
      'welcome.emergency',
      'welcome.privacy',
      'triage.start_report',
      'triage.ask_emergency',
    ]);
    expect(chat.state).toBe('triage.emergency');
  });

  it('when the report already says where, how long, how bad, the age and that it is better, then only the rest is asked and self-care comes in five messages', () => {
    const chat = new Chat();
    chat.join();
    chat.send(
      report(
        { entities: { locations: ['low_back', 'buttock'], durationDays: 10, painScore: 3, age: 30 } },
        { trend: 'better' },
      ),
    );
    expect(chat.context.answers).toMatchObject({
      location: 'low_back+buttock',
      duration: 'under_2_weeks',
      severity: 'mild',
      age: '20_to_59',
      progress: 'better',
    });
    chat.send(no());
    expect(keys(chat.send(no()).replies)).toEqual(['triage.ask_worse']);
    const r = chat.send(pick('option:sitting'));
    expect(r.outcome.disposition).toMatchObject({ level: 'C', via: 'triage' });
  });

  it('when the report says it is not getting better after weeks, then that counts (S); a warning sign it names counts as that sign', () => {
    const chat = new Chat();
    chat.join();
    chat.send(report({ entities: { durationDays: 30 } }, { trend: 'same' }));
    expect(chat.context.signals).toContain('sciatica.not_improving');
    const withSign = new Chat();
    withSign.join();
    withSign.send(report({ signals: ['systemic.fever'] }));
    // Told urgent at once, screened for emergencies first; the fever is not asked again.
    expect(withSign.context.announced).toBe('U');
    withSign.send(no());
    withSign.send(no());
    expect(withSign.context.answers).toMatchObject({ fever: 'yes' });
  });

  it('when a report is a question the knowledge base answers, then it is answered; asked with a request for advice, the check starts', () => {
    const chat = new Chat();
    chat.join();
    const answered = chat.send({
      ...ask('sciatica'),
      report: { subject: 'self', request: false, question: true },
    });
    expect(answered.outcome.answered).toEqual({ topic: 'sciatica' });
    expect(chat.state).toBe('idle');
    chat.send({ ...ask('sciatica'), report: { subject: 'self', request: true, question: true } });
    expect(chat.state).toBe('triage.emergency');
  });

  it('when a report that is a question gets no confident answer, then it still goes the usual way ("did you mean"), not into the check', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send({
      ...ask('sciatica', 0.42, undefined, [['herniated-disc', 0.4]]),
      report: { subject: 'self', request: false, question: true },
    });
    expect(r.outcome.didYouMean).toEqual(['sciatica', 'herniated-disc']);
    expect(chat.state).toBe('idle');
  });

  it('when a report (not a question) also names a topic the bot knows well, then that answer comes first and the check starts in the same turn', () => {
    const chat = new Chat();
    chat.join();
    const r = chat.send({
      ...ask('piriformis-syndrome', 0.9),
      report: { subject: 'self', request: false, question: false },
    });
    expect(keys(r.replies)).toEqual(['kb.answer', 'triage.start_report', 'triage.ask_emergency']);
    expect(r.outcome.answered).toEqual({ topic: 'piriformis-syndrome' });
    expect(chat.state).toBe('triage.emergency');
  });

  it('when a message is about someone else without a sign, thanks, or comes in a group chat, then no check starts', () => {
    const other = new Chat();
    other.join();
    other.send({ ...otherPerson('ce.bladder'), otherSignals: [] });
    expect(other.state).toBe('idle');
    const thanks = new Chat();
    thanks.join();
    thanks.send(report({ intent: 'thanks', confidence: 0.9 }));
    expect(thanks.state).toBe('idle');
    const group = new Chat();
    group.replay([{ type: 'user.joined', now: 0, shared: true }]);
    const r = group.replay([{ type: 'user.message', nlu: report(), now: 0, shared: true }])!;
    expect(keys(r.replies)).toContain('triage.private_only');
    expect(group.state).toBe('idle');
  });
});

describe('the grouped screen', () => {
  it('when a group answer narrows itself to another sign ("only the tingling in one leg"), then it is a no; naming another sign without narrowing asks again', () => {
    const narrowed = startTriage();
    narrowed.send(nlu({ intent: 'unknown', only: true, mentions: ['neuro.numbness', 'ce.saddle_numbness'] }));
    expect(narrowed.state).toBe('triage.urgent');
    expect(narrowed.context.answers).toMatchObject({ emergency: 'no', saddle: 'no' });

    const other = startTriage();
    const r = other.send(nlu({ intent: 'deny', mentions: ['systemic.fever'] }));
    expect(keys(r.replies)).toEqual(['triage.noted', 'triage.ask_emergency']);
    expect(other.state).toBe('triage.emergency');
    expect(other.context.answers).toEqual({ fever: 'no' });
  });

  it('when the emergency screen gets news of an urgent sign of their own ("I have a fever"), then being seen today is said at once and the screen goes on', () => {
    const chat = startTriage();
    const r = chat.send(nlu({ intent: 'affirm', mentions: ['systemic.fever'] }));
    expect(keys(r.replies)).toEqual(['triage.noted_urgent', 'triage.ask_emergency']);
    expect(chat.state).toBe('triage.emergency');
    expect(chat.context.announced).toBe('U');
    // Said once: more news of the same level is only noted.
    const again = startTriage();
    again.send(nlu({ intent: 'affirm', mentions: ['systemic.fever'] }));
    const r2 = again.send(nlu({ intent: 'affirm', mentions: ['history.cancer'] }));
    expect(keys(r2.replies)).not.toContain('triage.noted_urgent');
  });

  it('when "which of these?" gets several signs in words, then each is recorded; "not sure" asks them one at a time', () => {
    const chat = startTriage();
    chat.send(no());
    chat.send(yes());
    chat.send(nlu({ intent: 'unknown', mentions: ['history.cancer', 'weight_loss'] }));
    expect(chat.context.answers).toMatchObject({ cancer: 'yes', weight_loss: 'yes' });
    expect(chat.context.signals).toEqual(expect.arrayContaining(['history.cancer', 'weight_loss']));

    const unsureChat = startTriage();
    unsureChat.send(no());
    unsureChat.send(yes());
    unsureChat.send(unsure());
    expect(unsureChat.state).toBe('triage.leg_weakness');
  });

  it('when a sign question gets an answer about a different sign ("no fever" to the weakness question), then it is noted and the question is asked again; an answer that also names the sign asked is taken', () => {
    const chat = startTriage();
    chat.send(no());
    chat.send(unsure()); // urgent signs one at a time: leg weakness first
    expect(chat.state).toBe('triage.leg_weakness');
    const r = chat.send(nlu({ intent: 'deny', mentions: ['systemic.fever'] }));
    expect(keys(r.replies)).toEqual(['triage.noted', 'triage.ask_leg_weakness']);
    expect(chat.context.answers).toMatchObject({ fever: 'no' });
    expect(chat.context.answers).not.toHaveProperty('leg_weakness');
    chat.send(nlu({ intent: 'deny', mentions: ['neuro.weakness_one_leg'] }));
    // Fever is already answered: the next sign is the injury.
    expect(chat.state).toBe('triage.injury');
  });

  it('when a message is a question, a click, or names the sign asked, then it is not taken as about another sign', () => {
    const weak = questionById('leg_weakness')!;
    expect(isAboutOtherSign(weak, nlu({ intent: 'deny', mentions: ['systemic.fever'] }))).toBe(true);
    expect(isAboutOtherSign(weak, nlu({ intent: 'question', mentions: ['systemic.fever'] }))).toBe(false);
    expect(isAboutOtherSign(weak, { ...pick('answer:no'), mentions: ['systemic.fever'] })).toBe(false);
    expect(
      isAboutOtherSign(weak, nlu({ intent: 'deny', mentions: ['systemic.fever', 'neuro.weakness_one_leg'] })),
    ).toBe(false);
    expect(isAboutOtherSign(questionById('location')!, nlu({ mentions: ['systemic.fever'] }))).toBe(false);
  });
});

describe('the next question', () => {
  it('when nothing is known, then the emergency signs come first, then the urgent ones, then the details', () => {
    expect(nextTriageQuestion(context(), settings)).toBe('emergency');
    const noEmergency = {
      emergency: 'no',
      bladder: 'no',
      bowel: 'no',
      saddle: 'no',
      sexual: 'no',
      both_legs: 'no',
    };
    expect(nextTriageQuestion(context({ answers: noEmergency }), settings)).toBe('urgent');
  });

  it('when an urgent sign is known, then only signs that could make it an emergency are asked, and the check ends after the screen', () => {
    const screened = {
      emergency: 'no',
      bladder: 'no',
      bowel: 'no',
      saddle: 'no',
      sexual: 'no',
      both_legs: 'no',
      urgent: 'yes',
    };
    const weight = context({
      answers: { ...screened, urgent_which: 'weight_loss' },
      signals: ['weight_loss'],
    });
    expect(nextTriageQuestion(weight, settings)).toBe('injury');
    const done = context({ answers: { ...weight.answers, injury: 'no' }, signals: ['weight_loss'] });
    expect(nextTriageQuestion(done, settings)).toBeUndefined();
    // A fever makes a weak leg or numbness an emergency: both are asked.
    const fever = context({ answers: { ...screened, urgent_which: 'fever' }, signals: ['systemic.fever'] });
    expect(nextTriageQuestion(fever, settings)).toBe('leg_weakness');
    const feverAsked = context({
      answers: { ...fever.answers, leg_weakness: 'no', injury: 'no' },
      signals: ['systemic.fever'],
    });
    expect(nextTriageQuestion(feverAsked, settings)).toBe('numbness');
  });

  it('when the opening said a detail, then it is not asked; "the same" after weeks counts as not improving', () => {
    const patch = prefillPatch(
      context(),
      nlu({
        entities: { durationDays: 21 },
        report: { subject: 'self', request: false, question: false, trend: 'same' },
      }),
      settings,
    );
    expect(patch.answers).toMatchObject({ duration: '2_to_6_weeks', progress: 'same' });
    expect(patch.signals).toContain('sciatica.not_improving');
    expect(prefillPatch(context(), nlu({ entities: {} }), settings).answers).toEqual({});
  });
});

describe('the machine decides', () => {
  it('when "yes, one or more" is the answer to the emergency signs, then the level is E by policy; a named sign gives its own rule', () => {
    expect(decide(context({ answers: { emergency: 'yes' } }), settings)).toMatchObject({
      level: 'E',
      ruleIds: ['policy.emergency_screen_yes'],
    });
    expect(decide(context({ answers: { emergency: 'yes' }, signals: ['ce.bowel'] }), settings)).toMatchObject(
      {
        level: 'E',
        ruleIds: ['ce'],
      },
    );
    expect(decide(context({ answers: { emergency: 'no' } }), settings).level).toBe('C');
  });

  it('when a message brings a sign, then the table is applied to the signs heard before plus this one, once; a sign heard before does not fire again', () => {
    const before = context({ signals: ['weight_loss'] });
    expect(newRedFlag(before, nlu({ signals: ['weight_loss'] }), settings)).toBeUndefined();
    expect(newRedFlag(before, nlu({ signals: ['ce.bowel'] }), settings)).toMatchObject({
      level: 'E',
      ruleIds: ['ce'],
      about: 'self',
    });
    expect(newRedFlag(context(), nlu({ otherSignals: ['ce.bladder'] }), settings)).toMatchObject({
      level: 'E',
      about: 'other',
    });
    expect(
      newRedFlag(context({ announcedOther: 'E' }), nlu({ otherSignals: ['ce.bladder'] }), settings),
    ).toBeUndefined();
    expect(newRedFlag(context(), entities({ age: 40 }), settings)).toBeUndefined();
    expect(newRedFlag(context(), intent('greeting'), settings)).toBeUndefined();
  });
});
