/**
 * Request guards that run on every route, before any route logic, so one request can never take
 * the process down or make it do unbounded work.
 *
 * - Content encodings: restify's body parser inflates `Content-Encoding: gzip`/`deflate` bodies
 *   itself, and a body that is not valid gzip throws from a zlib stream outside any handler
 *   (Z_DATA_ERROR: the process exits), while its size limit counts *compressed* bytes (a 146 KB
 *   bomb inflates to 150 MB). No channel we serve compresses request bodies, so anything other
 *   than identity gets 415 before the body is read.
 * - Nesting depth: JSON.parse accepts `[[[[...]]]]` thousands deep, and the first recursive walk
 *   (JSON.stringify, a schema, the SDK) then throws RangeError. Bodies deeper than MAX_JSON_DEPTH
 *   get 400; the walk here is iterative, so it cannot overflow itself.
 */
import type { Next, Request, Response } from 'restify';

/** Deeper than any activity a channel sends (Adaptive Cards nest about 10 levels). */
export const MAX_JSON_DEPTH = 64;

function refuse(res: Response, status: number, code: string, message: string): void {
  res.status(status);
  res.json({ error: { code, message } });
}

/** `server.pre`: only identity-encoded bodies are read. */
export function rejectEncodedBodies(req: Request, res: Response, next: Next): void {
  const header = req.headers['content-encoding'];
  const encodings = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '' && e !== 'identity');
  if (encodings.length > 0) {
    res.setHeader('Accept-Encoding', 'identity');
    refuse(res, 415, 'UnsupportedMediaType', 'Send the body without Content-Encoding (no gzip or deflate).');
    next(false);
    return;
  }
  // restify's body reader itself refuses an explicit "identity": it is the same as none.
  delete req.headers['content-encoding'];
  next();
}

/** `server.use` after the body parser: refuse bodies nested deeper than MAX_JSON_DEPTH. */
export function rejectDeepBodies(req: Request, res: Response, next: Next): void {
  if (jsonDepthExceeds(req.body, MAX_JSON_DEPTH)) {
    refuse(res, 400, 'BadRequest', `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep.`);
    next(false);
    return;
  }
  next();
}

/** True when `value` has objects or arrays nested more than `max` levels (iterative walk). */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (depth > max) return true;
    const children = Array.isArray(item) ? item : Object.values(item as Record<string, unknown>);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
