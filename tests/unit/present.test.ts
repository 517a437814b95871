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

  it('when the channel is Teams and there are more than 3 options or a link, then ONE card carries the text and every button with its payload', () => {
    const [a] = present([reply(5, true)], { channelId: 'msteams', conversationType: 'personal' });
    expect(a!.suggestedActions).toBeUndefined();
    expect(a!.attachments).toHaveLength(1);
    const card = a!.attachments![0]!.content as { text: string; buttons: Array<Record<string, unknown>> };
    expect(card.text).toBe('Pick one');
    expect(card.buttons).toHaveLength(6);
    expect(
      card.buttons
        .filter((b) => b.type === 'messageBack')
        .map((b) => (b.value as { payload: string }).payload),
    ).toEqual(['option:o1', 'option:o2', 'option:o3', 'option:o4', 'option:o5']);
  });

  it('when the channel is Teams one-to-one with up to 3 options, then they are suggested actions under the text', () => {
    const [a] = present([reply(3)], { channelId: 'msteams', conversationType: 'personal' });
    expect(a!.text).toBe('Pick one');
    expect(a!.suggestedActions?.actions.map((x) => x.title)).toEqual(['Option 1', 'Option 2', 'Option 3']);
    expect(a!.attachments).toBeUndefined();
    // In a group chat the same choices are a card with the text (every member sees the buttons).
    const [g] = present([reply(3)], { channelId: 'msteams', conversationType: 'groupChat' });
    expect(g!.suggestedActions).toBeUndefined();
    expect((g!.attachments![0]!.content as { text: string }).text).toBe('Pick one');
  });

  it('when a reply has no choices, then it is plain text everywhere', () => {
    for (const channelId of ['webchat', 'msteams', 'console']) {
      const [a] = present([{ key: 'k', text: 'Hello', choices: [] }], { channelId });
      expect(a).toMatchObject({ type: 'message', text: 'Hello' });
      expect(a!.attachments).toBeUndefined();
    }
  });
});
