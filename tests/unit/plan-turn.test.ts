import { describe, expect, it } from 'vitest';
import { planTurn } from '../../src/bot/turn-runner.js';
import type { ConversationRecord, InDoubt, Loaded } from '../../src/storage/store.js';

const ask = (key: string) => [{ key }];
const rec = (n: string, replies: string, id?: string, recent: string[] = []): ConversationRecord => ({
  v: 1,
  dialog: { machineId: 'm', version: 1, snapshot: { at: replies } },
  turn: { ...(id ? { id } : {}), n, replies: ask(replies) },
  recent: id ? [...recent, id] : recent,
});
const loaded = (record: ConversationRecord, etag: string, inDoubt?: InDoubt): Loaded => ({
  record,
  etag,
  inDoubt,
});

describe('planTurn: idempotent turns', () => {
  const seenQ1 = rec('n1', 'q1', 'a1');
  const landedQ2 = rec('n2', 'q2', 'a2', ['a1']);
  const doubt: InDoubt = { n: 'n2', activityId: 'a2', etag: '5', before: seenQ1 };

  it('when nothing is in doubt and the activity is new, then the message is applied to the stored record', () => {
    expect(planTurn(loaded(seenQ1, '5'), undefined, 'a3')).toMatchObject({ kind: 'applied', base: seenQ1 });
  });

  it('when the latest activity arrives again, then its replies are replayed without a save', () => {
    expect(planTurn(loaded(seenQ1, '5'), undefined, 'a1')).toEqual({
      kind: 'duplicate',
      base: seenQ1,
      replies: ask('q1'),
      save: false,
    });
  });

  it('when an older applied activity arrives again, then nothing is applied and nothing is said', () => {
    expect(planTurn(loaded(landedQ2, '6'), undefined, 'a1')).toMatchObject({
      kind: 'duplicate',
      replies: [],
    });
  });

  it('when the doubtful save landed and a new message comes, then the question seen before it is asked again', () => {
    expect(planTurn(loaded(landedQ2, '6', doubt), doubt, 'a3')).toEqual({
      kind: 'reasked',
      base: seenQ1,
      replies: ask('q1'),
      save: true,
    });
  });

  it('when the doubtful save never landed and a new message comes, then the stored question is asked again', () => {
    expect(planTurn(loaded(seenQ1, '5'), doubt, 'a3')).toMatchObject({ kind: 'reasked', replies: ask('q1') });
  });

  it('when the doubtful save landed and the channel retries that activity, then its replies are shown, not applied again', () => {
    expect(planTurn(loaded(landedQ2, '6', doubt), doubt, 'a2')).toMatchObject({
      kind: 'duplicate',
      replies: ask('q2'),
      save: true,
    });
  });

  it('when the doubtful save never landed and the channel retries that activity, then it is applied now', () => {
    expect(planTurn(loaded(seenQ1, '5'), doubt, 'a2')).toMatchObject({ kind: 'applied', base: seenQ1 });
  });

  it('when someone else saved since the doubt (another replica resolved it), then the old mark is ignored', () => {
    const other = rec('n9', 'q3', 'a4');
    expect(planTurn(loaded(other, '8'), doubt, 'a5')).toMatchObject({ kind: 'applied', base: other });
  });

  it('when the doubtful turn was the first of the conversation, then the new message starts it afresh', () => {
    const first: InDoubt = { n: 'n1', activityId: 'a1', before: null };
    expect(planTurn(loaded(seenQ1, '1'), first, 'a2')).toMatchObject({ kind: 'applied', base: undefined });
  });
});
