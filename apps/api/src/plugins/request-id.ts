import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// A client's X-Request-Id is echoed only if it is a sane token: it ends up in every log line.
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

export function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers['x-request-id'];
  return typeof sent === 'string' && CLIENT_REQUEST_ID.test(sent) ? sent : randomUUID();
}
