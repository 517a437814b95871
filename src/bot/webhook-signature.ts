/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/): the receiver can check that a
 * handoff really came from this bot and was not replayed. Headers:
 *
 *   webhook-id         the delivery id (the same on every retry: de-duplicate on it)
 *   webhook-timestamp  seconds since the epoch when this attempt was signed
 *   webhook-signature  "v1," + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))
 *
 * The secret is "whsec_" + base64 of the key bytes; the HMAC key is those decoded bytes.
 */
import { createHmac } from 'node:crypto';

const PREFIX = 'whsec_';

export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

export function signWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const signature = createHmac('sha256', secretKey(secret))
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${signature}`,
  };
}
