import { createServer, type Socket } from 'node:net';

export interface SilentRedis {
  url: string;
  /** Every command received so far, as its upper-cased name (`INFO`, `EVALSHA`, …). */
  commands(): string[];
  /** How many connections it has accepted. */
  connections(): number;
  /** When (Date.now()) the first command this server leaves unanswered arrived, if one has. */
  firstUnansweredAt(): number | undefined;
  close(): Promise<void>;
}

const HANDSHAKE = new Set(['HELLO', 'CLIENT', 'SELECT', 'INFO']);

const HELLO = '%7\r\n+server\r\n+redis\r\n+version\r\n+7.2.4\r\n+proto\r\n:3\r\n+id\r\n:1\r\n+mode\r\n+standalone\r\n+role\r\n+master\r\n+modules\r\n*0\r\n';
const INFO = ['# Server', 'redis_version:7.2.4', 'redis_mode:standalone', 'loading:0', 'maxmemory_policy:noeviction', ''].join('\r\n');

/**
 * A TCP server on 127.0.0.1 that accepts connections and never answers: a Redis whose process
 * hangs, or a firewall that drops replies. With `handshake`, it answers just what a client sends
 * when it connects (`HELLO`, `CLIENT`, `SELECT`, and `INFO` for the ready check), so the
 * connection comes up and only the real commands go unanswered.
 */
export async function startSilentRedis(options: { handshake: boolean }): Promise<SilentRedis> {
  const received: string[] = [];
  let firstUnansweredAt: number | undefined;
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const parsed = parseCommand(buffered);
        if (!parsed) break;
        buffered = buffered.subarray(parsed.length);
        const name = parsed.args[0]?.toUpperCase() ?? '';
        received.push(name);
        if (!options.handshake || !HANDSHAKE.has(name)) {
          firstUnansweredAt ??= Date.now();
          continue;
        }
        if (name === 'HELLO') socket.write(HELLO);
        else if (name === 'INFO') socket.write(`$${Buffer.byteLength(INFO)}\r\n${INFO}\r\n`);
        else if (name === 'CLIENT' || name === 'SELECT') socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    commands: () => [...received],
    connections: () => accepted,
    firstUnansweredAt: () => firstUnansweredAt,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One RESP command (an array of bulk strings) from the start of the buffer, if complete. */
function parseCommand(buffer: Buffer): { args: string[]; length: number } | undefined {
  const readLine = (from: number) => {
    const end = buffer.indexOf('\r\n', from);
    return end === -1 ? undefined : { text: buffer.toString('latin1', from, end), next: end + 2 };
  };
  const header = readLine(0);
  if (!header) return undefined;
  if (!header.text.startsWith('*')) return { args: header.text.split(' '), length: header.next };
  const count = Number(header.text.slice(1));
  const args: string[] = [];
  let offset = header.next;
  for (let index = 0; index < count; index += 1) {
    const size = readLine(offset);
    if (!size) return undefined;
    const length = Number(size.text.slice(1));
    if (buffer.length < size.next + length + 2) return undefined;
    args.push(buffer.toString('utf8', size.next, size.next + length));
    offset = size.next + length + 2;
  }
  return { args, length: offset };
}
