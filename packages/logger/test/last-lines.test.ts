import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const loggerModule = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'flash-sale-logger-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/**
 * Runs a process whose stdout is a file: it logs one line while Node's thread pool is busy, then
 * reads its own stdout file back at once and says on stderr whether the line is there.
 */
function lineOnDiskWhenTheCallReturns(sync: boolean): boolean {
  const script = `
    import { pbkdf2 } from 'node:crypto';
    import { readFileSync } from 'node:fs';
    import { createLogger } from ${JSON.stringify(loggerModule)};
    const logger = createLogger('probe', 'info', { format: 'json', sync: ${sync} });
    // Node's thread pool busy, as in a loaded process: an asynchronous write waits behind this.
    for (let thread = 0; thread < 4; thread += 1) pbkdf2('busy', 'salt', 300000, 32, 'sha256', () => undefined);
    logger.info('the last line');
    process.stderr.write(readFileSync('/proc/self/fd/1', 'utf8').includes('the last line') ? 'written' : 'not yet');
    process.exit(0);`;
  const out = join(folder, `stdout-${sync}.log`);
  const run = spawnSync('bash', ['-c', `"${process.execPath}" --import tsx --input-type=module -e "$SCRIPT" > "${out}"`], {
    env: { ...process.env, SCRIPT: script },
    encoding: 'utf8',
  });
  const stderr = run.stderr.trim();
  if (stderr !== 'written' && stderr !== 'not yet') throw new Error(`the probe failed: ${stderr}`);
  return stderr === 'written';
}

describe('a logger for the last lines before exit (sync)', () => {
  it('has written the line when the call returns, so process.exit() right after cannot cut it off', () => {
    expect(lineOnDiskWhenTheCallReturns(true)).toBe(true);
  });

  it('is needed: the usual logger has not written it yet while the thread pool is busy', () => {
    expect(lineOnDiskWhenTheCallReturns(false)).toBe(false);
  });
});
