import { connect } from 'node:net';

export interface RawHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends bytes exactly as given (no client library to tidy them up) and reads the answer until
 * the server closes or the timeout passes: for requests that Node's parser or Fastify's router
 * refuse before any route runs.
 */
export function sendRawHttp(url: string, raw: string, timeoutMs = 3_000): Promise<RawHttpResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const [head = '', ...rest] = received.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(statusLine.split(' ')[1]);
      if (!status) reject(new Error(`no HTTP answer to ${JSON.stringify(raw.slice(0, 60))}: ${JSON.stringify(received.slice(0, 200))}`));
      else resolve({ status, headers, body: rest.join('\r\n\r\n') });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      // One response is enough: stop once its declared body has arrived.
      const [head, ...rest] = received.split('\r\n\r\n');
      const length = /content-length:\s*(\d+)/i.exec(head ?? '')?.[1];
      if (length !== undefined && Buffer.byteLength(rest.join('\r\n\r\n'), 'latin1') >= Number(length)) finish();
    });
    socket.on('end', finish);
    socket.on('error', () => finish());
    socket.write(raw, 'latin1');
  });
}
