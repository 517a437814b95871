/**
 * "Talk to a person" with call backs on: the offer, the name, the number, and the handoff that goes
 * out with them; the details leave the stored snapshot once sent or abandoned.
 */
import { describe, expect, it } from 'vitest';
import type { DialogEvent } from '../../dialogs/conversation.machine.js';
import { K } from '../../dialogs/message-keys.js';
import { step } from '../../dialogs/step.js';
import { Chat, intent, keys, makeMachine, MINUTE, nlu, no, payloads, pick, yes } from './helpers.js';

const OPEN = { open: true };
const CLOSED = { open: false, day: 'tomorrow', time: '08:00' };

class CallbackChat extends Chat {
  clinic: { open: boolean; day?: string; time?: string } = OPEN;
  say(message = nlu(), contact?: { name?: string; phone?: string }) {
    this.now += MINUTE;
    const event: DialogEvent = {
      type: 'user.message',
      nlu: message,
      now: this.now,
      clinic: this.clinic,
      ...(contact ? { contact } : {}),
    };
    this.last = step(this.machine, this.persisted, event);
    this.persisted = JSON.parse(JSON.stringify(this.last.persisted));
    return this.last;
  }
}

function chat(): CallbackChat {
  const c = new CallbackChat(makeMachine({ callback: true }));
  c.join();
  return c;
}

describe('call back', () => {
  it('when call backs are off, then "talk to a person" hands off at once with codes only (as before)', () => {
    const c = new Chat(makeMachine());
    c.join();
    const r = c.send(intent('handoff'));
    expect(keys(r.replies)).toContain(K.handoffInfo);
    expect(r.outcome.handoff?.reason).toBe('requested');
    expect(c.state).toBe('idle');
  });

  it('when a person is asked for and the clinic is open, then it says so and offers a call back, sending nothing yet', () => {
    const c = chat();
    const r = c.say(intent('handoff'));
    expect(keys(r.replies)).toEqual([K.handoffInfo, K.handoffOpenNow, K.callbackOffer]);
    expect(payloads(r.replies)).toEqual(['answer:yes', 'answer:no']);
    expect(r.outcome.handoff).toBeUndefined();
    expect(c.state).toBe('handoff.offer');
  });

  it('when the clinic is closed, then it says when it opens', () => {
    const c = chat();
    c.clinic = CLOSED;
    const r = c.say(intent('handoff'));
    expect(r.replies.find((x) => x.key === K.handoffClosedNow)?.slots).toEqual({
      day: 'tomorrow',
      time: '08:00',
    });
  });

  it('when the patient gives a name and a number, then the handoff goes out with them and they leave the snapshot', () => {
    const c = chat();
    c.clinic = CLOSED;
    c.say(intent('handoff'));
    expect(keys(c.say(yes()).replies)).toEqual([K.callbackAskName]);
    expect(keys(c.say(nlu(), { name: 'Sam Jones' }).replies)).toEqual([K.callbackAskPhone]);
    expect(c.state).toBe('handoff.phone');
    // The name is kept only until the number comes.
    expect(c.context.contact).toEqual({ name: 'Sam Jones' });
    const r = c.say(nlu(), { phone: '07700 900123' });
    expect(r.outcome.handoff).toMatchObject({
      reason: 'requested',
      callback: { name: 'Sam Jones', phone: '07700 900123' },
      clinicOpen: false,
    });
    expect(keys(r.replies)).toEqual([K.callbackConfirmClosed]);
    expect(c.state).toBe('idle');
    expect(JSON.stringify(c.persisted)).not.toContain('Sam Jones');
    expect(JSON.stringify(c.persisted)).not.toContain('900123');
  });

  it('when the patient declines the call back, then the handoff goes out without one', () => {
    const c = chat();
    c.say(intent('handoff'));
    const r = c.say(no());
    expect(keys(r.replies)).toEqual([K.callbackDeclined]);
    expect(r.outcome.handoff?.reason).toBe('requested');
    expect(r.outcome.handoff?.callback).toBeUndefined();
    expect(c.state).toBe('idle');
  });

  it('when the name cannot be read twice, then it gives up politely and sends the handoff without a call back', () => {
    const c = chat();
    c.say(intent('handoff'));
    c.say(yes());
    expect(keys(c.say(nlu()).replies)).toEqual([K.callbackAskNameRetry]);
    const r = c.say(nlu());
    expect(keys(r.replies)).toEqual([K.callbackFailed]);
    expect(r.outcome.handoff?.callback).toBeUndefined();
    expect(c.state).toBe('idle');
  });

  it('when the patient stops while giving their number, then the name leaves the snapshot and nothing is sent', () => {
    const c = chat();
    c.say(intent('handoff'));
    c.say(yes());
    c.say(nlu(), { name: 'Sam Jones' });
    const r = c.say(intent('stop'));
    expect(r.outcome.handoff).toBeUndefined();
    expect(JSON.stringify(c.persisted)).not.toContain('Sam Jones');
  });

  it('when a red flag comes up during the call back, then it escalates at once', () => {
    const c = chat();
    c.say(intent('handoff'));
    c.say(yes());
    const r = c.say(nlu({ signals: ['ce.bladder'] }));
    expect(keys(r.replies)).toContain(K.escalateEmergency);
    expect(c.state).toBe('idle');
  });

  it('when the offer is answered with a question, then the handoff goes out without a call back and the question is handled', () => {
    const c = chat();
    c.say(intent('handoff'));
    const r = c.say(pick('topic:sciatica'));
    expect(r.outcome.handoff?.callback).toBeUndefined();
    expect(r.outcome.handoff?.reason).toBe('requested');
    expect(r.outcome.answered?.topic).toBe('sciatica');
  });
});
