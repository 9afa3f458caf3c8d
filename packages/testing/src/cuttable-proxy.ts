import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy to a store that a test can cut and restore, as a network blip or a restart would:
 * while down, connects to its port are refused and open connections are dropped. The port stays
 * the same across cuts. It can also stall: the store hangs, as far as its clients can tell.
 */
export class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly pairs = new Set<[client: Socket, upstream: Socket]>();
  private stalled = false;
  private stalledBytes = 0;
  /** stallOn's bytes, what it awaits, and the listener on each client that looks for them. */
  private stallTrigger: Buffer | undefined;
  private triggered: (() => void) | undefined;
  private readonly watchers = new Map<Socket, (chunk: Buffer) => void>();
  /** What each hung connection carried during the stall, each way, for endStall to deliver. */
  private readonly held = new Map<Socket, { toUpstream: Buffer[]; toClient: Buffer[]; listeners: [(chunk: Buffer) => void, (chunk: Buffer) => void] }>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  /** A proxy (up) in front of the server of `url` (mysql://, redis://), and `url` through it. */
  static async inFrontOf(url: string): Promise<{ proxy: CuttableProxy; url: string }> {
    const direct = new URL(url);
    const defaultPort = direct.protocol.startsWith('redis') ? 6379 : 3306;
    const proxy = new CuttableProxy({ host: direct.hostname, port: Number(direct.port || defaultPort) });
    await proxy.up();
    const through = new URL(url);
    through.port = String(proxy.port);
    return { proxy, url: through.toString() };
  }

  async up(): Promise<void> {
    if (this.server) return;
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      // Either side gone, however it went (a FIN, or a reset from a killed process), takes the
      // other with it, as a direct connection would: MySQL then rolls back the dead client's
      // transaction instead of keeping its row locks.
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.on('close', () => {
        this.pairs.delete(pair);
        this.watchers.delete(client);
      });
      if (this.stalled) this.stallPair(pair);
      else this.passPair(pair);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /**
   * From now on nothing is passed on in either direction, and the connections stay open: the
   * store hangs. What either side sends meanwhile is counted (bytesSinceStall) and held back.
   */
  stall(): void {
    if (this.stalled) return;
    this.stalled = true;
    for (const pair of this.pairs) this.stallPair(pair);
  }

  /**
   * Stalls (as stall()) the moment a client sends bytes that contain `text`, those bytes held back
   * too: the store hangs just as that command leaves (a `COMMIT`, say), whatever ran before it.
   * Resolves once it has. The text must arrive in one chunk, as a short command does.
   */
  stallOn(text: string): Promise<void> {
    if (this.stalled) return Promise.resolve();
    // A second watcher per connection would pass every chunk on twice.
    if (this.stallTrigger) throw new Error('stallOn is already waiting for its trigger.');
    this.stallTrigger = Buffer.from(text);
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      this.watchPair([client, upstream]);
    }
    return new Promise((resolve) => (this.triggered = resolve));
  }

  /**
   * Ends a stall, and new connections pass again. The hung ones are either reset (`reset`, as
   * when the server behind a partition restarted or its connections timed out) or get what was
   * held back delivered, late and in order, and carry on (`deliver`, as a partition that healed).
   */
  endStall(how: 'reset' | 'deliver' = 'reset'): void {
    if (!this.stalled) return;
    this.stalled = false;
    this.stalledBytes = 0;
    for (const [client, upstream] of [...this.pairs]) {
      const held = this.held.get(client);
      this.held.delete(client);
      if (how === 'reset' || !held) {
        client.destroy();
        upstream.destroy();
        continue;
      }
      client.off('data', held.listeners[0]);
      upstream.off('data', held.listeners[1]);
      for (const chunk of held.toUpstream) upstream.write(chunk);
      for (const chunk of held.toClient) client.write(chunk);
      this.passPair([client, upstream]);
    }
  }

  /** Bytes clients sent since stall(): above 0 once a command is waiting for an answer. */
  bytesSinceStall(): number {
    return this.stalledBytes;
  }

  private passPair([client, upstream]: [Socket, Socket]): void {
    upstream.pipe(client);
    if (this.stallTrigger) this.watchPair([client, upstream]);
    else client.pipe(upstream);
  }

  /** Passes what the client sends on, until it contains the trigger: then everything stalls. */
  private watchPair([client, upstream]: [Socket, Socket]): void {
    const watch = (chunk: Buffer) => {
      if (!this.stallTrigger || !chunk.includes(this.stallTrigger)) {
        upstream.write(chunk);
        return;
      }
      this.stallTrigger = undefined;
      this.stall();
      // This chunk's 'data' is being delivered: the holder stall() added does not see it.
      this.stalledBytes += chunk.length;
      this.held.get(client)!.toUpstream.push(chunk);
      this.triggered?.();
      this.triggered = undefined;
    };
    this.watchers.set(client, watch);
    client.on('data', watch);
    client.resume();
  }

  private stallPair([client, upstream]: [Socket, Socket]): void {
    const watch = this.watchers.get(client);
    if (watch) client.off('data', watch);
    this.watchers.delete(client);
    client.unpipe(upstream);
    upstream.unpipe(client);
    const held = { toUpstream: [] as Buffer[], toClient: [] as Buffer[] };
    const fromClient = (chunk: Buffer) => {
      this.stalledBytes += chunk.length;
      held.toUpstream.push(chunk);
    };
    const fromUpstream = (chunk: Buffer) => void held.toClient.push(chunk);
    this.held.set(client, { ...held, listeners: [fromClient, fromUpstream] });
    client.on('data', fromClient);
    upstream.on('data', fromUpstream);
    // unpipe() paused both streams; a 'data' listener does not restart a paused stream.
    client.resume();
    upstream.resume();
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
