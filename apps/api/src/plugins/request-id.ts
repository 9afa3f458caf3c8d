import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// A client's X-Request-Id is echoed as sent: up to 200 printable ASCII characters (inner spaces
// included), which covers every tracing format in use. Anything else (a control character such as
// a tab, bytes outside ASCII, an id longer than that) is replaced by a generated one: the id
// ends up in every log line of the request.
const CLIENT_REQUEST_ID = /^[\x21-\x7E](?:[\x20-\x7E]{0,198}[\x21-\x7E])?$/;

export function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers['x-request-id'];
  return typeof sent === 'string' && CLIENT_REQUEST_ID.test(sent) ? sent : randomUUID();
}
