import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WrkResult {
  requests: number;
  seconds: number;
  /** Requests answered per second (any status). */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** Answers with a status of 400 or more. */
  non2xx: number;
}

const SCRIPT = `
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
request = function()
  counter = counter + 1
  local headers = {}
  if METHOD == "POST" then headers["Content-Type"] = "application/json" end
  if KEYED then headers["Idempotency-Key"] = string.format("%s-%d-%d", RUN, tid, counter) end
  return wrk.format(METHOD, PATH, headers, BODY)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), errors, summary.errors.status))
end
`;

/**
 * Drives an HTTP endpoint with wrk (closed loop, `connections` at once, for `seconds`): C, so the
 * load generator takes as little of the machine's two cores as can be. 127.0.0.1 only.
 */
export async function runWrk(options: {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  keyed?: boolean;
  connections: number;
  seconds: number;
}): Promise<WrkResult> {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(options.url)) throw new Error(`wrk targets 127.0.0.1 only, not ${options.url}`);
  const dir = mkdtempSync(join(tmpdir(), 'flash-sale-wrk-'));
  const script = join(dir, 'script.lua');
  const settings = [
    `METHOD = ${JSON.stringify(options.method)}`,
    `PATH = ${JSON.stringify(options.path)}`,
    `BODY = ${options.body === undefined ? 'nil' : JSON.stringify(options.body)}`,
    `KEYED = ${options.keyed ? 'true' : 'false'}`,
    `RUN = ${JSON.stringify(`bench-${Date.now().toString(36)}`)}`,
  ].join('\n');
  writeFileSync(script, `${settings}\n${SCRIPT}`);
  const threads = Math.min(2, options.connections);
  const child = spawn('wrk', ['-t', String(threads), '-c', String(options.connections), '-d', `${options.seconds}s`, '--timeout', '10s', '-s', script, options.url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = await once(child, 'exit');
  const line = output.split('\n').find((each) => each.startsWith('RESULT '));
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${output}`);
  const [requests, durationUs, p50Us, p99Us, errors, non2xx] = line.split(' ').slice(1).map(Number) as number[];
  const seconds = durationUs! / 1e6;
  return { requests: requests!, seconds, rate: requests! / seconds, p50Ms: p50Us! / 1000, p99Ms: p99Us! / 1000, errors: errors!, non2xx: non2xx! };
}
