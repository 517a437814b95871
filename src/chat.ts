/**
 * `npm run chat`: a conversation with the bot in the terminal, for clinic staff trying their
 * content. It starts the same service in-process on a loopback port and talks to it over HTTP
 * through the same adapter and state path as any channel (deliveryMode "expectReplies").
 * Options show as a numbered list: type the number to pick one. Type /quit to leave.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseConfig, readEnvironment, ConfigError } from './config.js';
import { buildService, listen } from './index.js';
import { ContentError } from './knowledge/problems.js';

const CHANNEL = 'console';

async function main(): Promise<void> {
  const env = readEnvironment();
  let service;
  try {
    // Chat runs locally: always unauthenticated, on a free loopback port, logs kept quiet.
    const config = parseConfig({
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      MicrosoftAppId: '',
      MicrosoftAppPassword: '',
      LOG_LEVEL: env.CHAT_LOG_LEVEL ?? 'error',
      LOG_FORMAT: 'json',
    });
    const quiet = new Writable({ write: (chunk, _enc, cb) => (process.stderr.write(chunk), cb()) });
    service = await buildService(config, { logDestination: quiet });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ContentError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const url = await listen(service);
  const conversationId = `console-${randomUUID()}`;
  let counter = 0;

  const send = async (activity: Record<string, unknown>): Promise<string[]> => {
    const res = await fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: `in-${++counter}`,
        channelId: CHANNEL,
        serviceUrl: url,
        from: { id: 'staff-tester', name: 'You' },
        recipient: { id: 'clinic-bot', name: 'Clinic bot' },
        conversation: { id: conversationId },
        deliveryMode: 'expectReplies',
        ...activity,
      }),
    });
    if (res.status !== 200) return [`(the bot answered HTTP ${res.status})`];
    const body = (await res.json().catch(() => ({}))) as { activities?: Array<{ text?: string }> };
    return (body.activities ?? []).map((a) => a.text ?? '').filter(Boolean);
  };

  const print = (lines: string[]) => {
    for (const line of lines) process.stdout.write(`\nbot> ${line.replace(/\n/g, '\n     ')}\n`);
    process.stdout.write('\n');
  };

  process.stdout.write(`Chatting with ${service.knowledge.clinic.name} bot (type /quit to leave).\n`);
  print(await send({ type: 'conversationUpdate', membersAdded: [{ id: 'staff-tester' }] }));

  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt: 'you> ',
    terminal: process.stdin.isTTY,
  });
  const interactive = Boolean(process.stdin.isTTY);
  if (interactive) rl.prompt();
  for await (const line of rl) {
    if (line.trim() === '/quit') break;
    if (!interactive) process.stdout.write(`you> ${line}\n`);
    print(await send({ type: 'message', text: line }));
    if (interactive) rl.prompt();
  }
  rl.close();
  await service.stop();
  process.exit(0);
}

void main();
