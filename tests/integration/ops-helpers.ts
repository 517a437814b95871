/** Shared by the operations tests: a chat over HTTP and the turn log's reply keys. */
import { messageActivity, post, type Running } from '../helpers/service.js';

export async function say(app: Running, conversationId: string, text: string): Promise<string[]> {
  const res = await post(app.url, messageActivity(text, { conversation: { id: conversationId } }));
  if (res.status !== 200) throw new Error(`status ${res.status}: ${res.text}`);
  return ((res.json?.activities ?? []) as Array<{ text?: string }>).map((a) => a.text ?? '');
}

/** Reply keys of the last turn of a conversation, from the turn log (keys, not wording). */
export function lastReplyKeys(app: Running, conversationId: string): string[] {
  const turns = app.logs.records().filter((r) => r.msg === 'turn' && r.conversationId === conversationId);
  return (turns.at(-1)?.replyKeys as string[] | undefined) ?? [];
}

/** The self-care symptom check of tests/conversations/triage.yaml, from the start to the disposition. */
export const SELF_CARE_CHECK = [
  'can you check my symptoms',
  'no none of those',
  'nope',
  'my right bum cheek and down the back of my thigh',
  'about 2 weeks',
  '4/10',
  'sitting for a long time',
  '34',
  'ibuprofen and a bit of walking',
];

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
