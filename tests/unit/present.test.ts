import { describe, expect, it } from 'vitest';
import { present } from '../../src/bot/present.js';
import type { RenderedReply } from '../../src/knowledge/render.js';

const reply = (n: number, url = false): RenderedReply => ({
  key: 'k',
  text: 'Pick one',
  choices: [
    ...Array.from({ length: n }, (_, i) => ({ label: `Option ${i + 1}`, payload: `option:o${i + 1}` })),
    ...(url ? [{ label: 'Book online', payload: 'open:booking', url: 'https://clinic.example/book' }] : []),
  ],
});

describe('presenting replies per channel', () => {
  it('when the channel renders buttons (Web Chat), then options are suggested actions and links are card buttons', () => {
    const [a] = present([reply(4, true)], { channelId: 'webchat' });
    expect(a!.suggestedActions?.actions.map((x) => x.title)).toEqual([
      'Option 1',
      'Option 2',
      'Option 3',
      'Option 4',
    ]);
    const buttons = a!.attachments!.flatMap(
      (c) => (c.content as { buttons: Array<{ type: string; value: string }> }).buttons,
    );
    expect(buttons).toEqual([
      expect.objectContaining({ type: 'openUrl', value: 'https://clinic.example/book' }),
    ]);
  });

  it('when the channel is plain text, then options are numbered so typing "2" picks the second', () => {
    const [a] = present([reply(3)], { channelId: 'console' });
    expect(a!.text).toMatch(/1\. Option 1\n2\. Option 2\n3\. Option 3$/);
    expect(a!.suggestedActions).toBeUndefined();
  });

  it('when the channel is Teams, then options are card buttons carrying their payload, at most 3 per card', () => {
    const [a] = present([reply(5, true)], { channelId: 'msteams', conversationType: 'personal' });
    expect(a!.suggestedActions).toBeUndefined();
    const cards = a!.attachments!.map(
      (c) => (c.content as { buttons: Array<Record<string, unknown>> }).buttons,
    );
    expect(cards.every((b) => b.length <= 3)).toBe(true);
    const all = cards.flat();
    expect(all).toHaveLength(6);
    expect(
      all.filter((b) => b.type === 'messageBack').map((b) => (b.value as { payload: string }).payload),
    ).toEqual(['option:o1', 'option:o2', 'option:o3', 'option:o4', 'option:o5']);
  });

  it('when a reply has no choices, then it is plain text everywhere', () => {
    for (const channelId of ['webchat', 'msteams', 'console']) {
      const [a] = present([{ key: 'k', text: 'Hello', choices: [] }], { channelId });
      expect(a).toMatchObject({ type: 'message', text: 'Hello' });
      expect(a!.attachments).toBeUndefined();
    }
  });
});
