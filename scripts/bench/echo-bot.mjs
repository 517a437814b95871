#!/usr/bin/env node
/* global process, console, performance */
/**
 * The yardstick for `npm run bench`: an echo bot on the same stack as the product (botbuilder's
 * CloudAdapter behind restify with its body parser, no app id), and nothing else: no
 * understanding, no dialog, no state. What the product does on top of it is what the bench
 * measures. Plain JavaScript, run with `node` like the product's compiled build.
 */
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import restify from 'restify';

class EchoBot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      await context.sendActivity(`You said: ${context.activity.text ?? ''}`);
      await next();
    });
  }
}

const started = performance.now();
const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
const bot = new EchoBot();
const server = restify.createServer({ name: 'echo-bot', handleUncaughtExceptions: false });
server.use(restify.plugins.bodyParser({ maxBodySize: 262_144, mapParams: false }));
server.post('/api/messages', async (req, res) => {
  await adapter.process(req, res, (context) => bot.run(context));
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  console.log(
    JSON.stringify({
      msg: 'bot ready',
      url: `http://127.0.0.1:${port}`,
      pid: process.pid,
      readyMs: Math.round(performance.now() - started),
    }),
  );
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
