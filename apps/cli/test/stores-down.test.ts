import { loadConfig } from '@flash-sale/config';
import { startSilentRedis, testDatabaseUrl, testRedisUrl, uniqueRedisPrefix } from '@flash-sale/testing';
import { describe, expect, it } from 'vitest';
import { expectExitCode, runCli } from './support/run-cli.ts';

// A store that cannot be reached, or stops answering: one line on stderr, exit 3, within
// seconds. Nothing listens on port 9 (discard), so a connection there is refused.

const config = loadConfig({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniqueRedisPrefix() });
/**
 * "Within a few seconds", counted from the first command Redis leaves unanswered, so the CLI's
 * own start-up (slow on a busy machine) does not count. Before the fix a command waited 15 s.
 */
const EXIT_WITHIN_MS = 6_000;

async function timedCli(args: string[], overrides: Record<string, string>) {
  const started = Date.now();
  const result = await runCli(config, args, overrides);
  return { ...result, ms: Date.now() - started, exitedAt: Date.now() };
}

describe('unreachable stores', () => {
  it('audit exits 3 with one line on stderr when MySQL cannot be reached', async () => {
    const result = await timedCli(['audit'], { DATABASE_URL: 'mysql://root@127.0.0.1:9/x' });
    expectExitCode(result, 3);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('could not reach MySQL at 127.0.0.1:9')]);
    expect(result.stdout).toBe('');
    expect(result.ms).toBeLessThan(10_000);
  });

  it('webhooks and audit say so at once when MySQL refuses the settings: a database that does not exist', async () => {
    const missing = testDatabaseUrl('fs_cli_no_such_database');
    for (const command of ['webhooks', 'audit']) {
      const result = await timedCli([command], { DATABASE_URL: missing });
      expectExitCode(result, 3);
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining("database 'fs_cli_no_such_database' does not exist")]);
      // Not the 5 s wait for a MySQL that does not answer.
      expect(result.ms).toBeLessThan(5_000);
    }
  });

  it('webhooks says MySQL did not answer when a server accepts the connection and never greets', async () => {
    // The driver calls this "failed to create socket", though the socket opened: the operator
    // should read that MySQL does not answer, as they did before the CLI shared the probe.
    // Without its handshake, the silent Redis writes not a byte: MySQL's greeting never comes.
    const stalled = await startSilentRedis({ handshake: false });
    const port = new URL(stalled.url).port;
    try {
      const result = await timedCli(['webhooks'], { DATABASE_URL: `mysql://root@127.0.0.1:${port}/x` });
      expectExitCode(result, 3);
      expect(result.stderr.trim().split('\n')).toEqual([`error: could not reach MySQL at 127.0.0.1:${port}: no answer within 5000 ms`]);
      expect(stalled.connections()).toBeGreaterThan(0);
    } finally {
      await stalled.close();
    }
  });

  it('queues exits 3 with one line on stderr when Redis cannot be reached', async () => {
    const result = await runCli(config, ['queues'], { REDIS_URL: 'redis://127.0.0.1:9' });
    expectExitCode(result, 3);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('could not reach Redis at 127.0.0.1:9')]);
    expect(result.stdout).toBe('');
  });
});

describe('a Redis that accepts connections and never answers', () => {
  it('queues and job exit 3 within seconds, whether the connection comes up or not', async () => {
    // silent: not even the connection handshake is answered. handshaking: the connection comes
    // up (so the reachability check passes) and then the commands themselves go unanswered.
    // One server per run, so each unanswered command is that run's.
    const runs = [
      { args: ['queues'], handshake: false },
      { args: ['queues'], handshake: true },
      { args: ['job', 'hold-expiry', 'hold-1'], handshake: true },
    ];
    const servers = await Promise.all(runs.map(({ handshake }) => startSilentRedis({ handshake })));
    try {
      const results = await Promise.all(runs.map(({ args }, index) => timedCli(args, { REDIS_URL: servers[index]!.url })));
      results.forEach((result, index) => {
        expectExitCode(result, 3);
        expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/Redis/)]);
        expect(result.stdout).toBe('');
        const unansweredAt = servers[index]!.firstUnansweredAt();
        expect(unansweredAt, `${runs[index]!.args.join(' ')}: no command reached the server`).toBeDefined();
        expect(result.exitedAt - unansweredAt!, `${runs[index]!.args.join(' ')}: exit after the first unanswered command`).toBeLessThan(EXIT_WITHIN_MS);
      });
      // The handshake got through: what went unanswered were the queue commands themselves.
      expect(servers[1]!.commands()).toEqual(expect.arrayContaining(['INFO', 'EVALSHA']));
    } finally {
      await Promise.all(servers.map((server) => server.close()));
    }
  });
});
