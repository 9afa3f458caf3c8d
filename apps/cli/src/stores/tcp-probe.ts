import { connect } from 'node:net';

/**
 * Opens and closes a TCP connection. A refused port answers at once, whereas Prisma's pool keeps
 * retrying a refused connection until its acquire timeout, so a MySQL that is down would
 * otherwise cost the whole reach deadline before the CLI could say so.
 */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no TCP answer within ${timeoutMs} ms`));
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}
