/** restart, stop, help, talk to a person and forget me work in every state. */
import { describe, expect, it } from 'vitest';
import { Chat, intent, keys, makeMachine, waysToEveryState } from './helpers.js';

const machine = makeMachine();
const ways = waysToEveryState(machine);
const WELCOME = ['welcome.intro', 'welcome.emergency', 'welcome.privacy'];

function at(state: string): Chat {
  const chat = new Chat(machine);
  chat.replay(ways.get(state)!);
  return chat;
}

/** What the bot said, without the welcome a first message gets. */
const said = (chat: Chat) => keys(chat.last.replies).filter((k) => !WELCOME.includes(k));

describe.each([...ways.keys()])('in state %s', (state) => {
  const inQuestion = state.startsWith('triage.');

  it('when "restart" comes, then the conversation starts over at the hub', () => {
    const chat = at(state);
    chat.send(intent('restart'));
    expect(said(chat)).toEqual(['dialog.restarted']);
    expect(chat.state).toBe('idle');
    expect(chat.context.answers).toEqual({});
  });

  it('when "stop" comes, then the bot stops (the check, or the chat)', () => {
    const chat = at(state);
    chat.send(intent('stop'));
    if (state.startsWith('triage.')) {
      expect(said(chat)).toEqual(['triage.stopped']);
      expect(chat.state).toBe('idle');
    } else {
      expect(said(chat)).toEqual(['dialog.stopped']);
      expect(chat.state).toBe('ended');
    }
  });

  it('when "help" comes, then help is given (and a question in progress is asked again)', () => {
    const chat = at(state);
    const before = chat.persisted ? chat.state : 'start';
    chat.send(intent('help'));
    if (state === 'start') expect(said(chat)).toEqual(['welcome.menu']);
    else expect(said(chat)[0]).toBe('dialog.help');
    if (inQuestion) {
      expect(said(chat).slice(1)).toEqual(['triage.continue', `triage.ask_${state.slice('triage.'.length)}`]);
      expect(chat.state).toBe(before);
    }
  });

  it('when "talk to a person" comes, then the front desk details are given and the handoff is reported', () => {
    const chat = at(state);
    chat.send(intent('handoff'));
    expect(said(chat)).toEqual(['handoff.info']);
    expect(chat.last.outcome.handoff).toMatchObject({ reason: 'requested' });
    expect(chat.state).toBe('idle');
  });

  it('when "forget me" comes, then the host is told to delete and nothing is kept', () => {
    const chat = at(state);
    chat.send(intent('forget_me'));
    expect(chat.last.outcome.forget).toBe(true);
    expect(said(chat)).toEqual(['dialog.forgotten']);
    expect(chat.context).toMatchObject({ welcomed: false, signals: [], answers: {}, offered: [] });
  });
});
