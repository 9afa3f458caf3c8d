import { createServer, type Server } from 'node:net';

async function listenOnAnyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

const closed = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** A free TCP port on 127.0.0.1, as the OS hands one out. */
export async function freePort(): Promise<number> {
  const { server, port } = await listenOnAnyPort();
  await closed(server);
  return port;
}

/** A port on 127.0.0.1 that something listens on until `release`: for a service to find taken. */
export async function takenPort(): Promise<{ port: number; release(): Promise<void> }> {
  const { server, port } = await listenOnAnyPort();
  return { port, release: () => closed(server) };
}
