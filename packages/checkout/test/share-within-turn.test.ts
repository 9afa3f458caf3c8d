import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { shareWithinTurn } from '../src/batching/share-within-turn.ts';

// The rule under the product cache's HGET and the product reader's MySQL reads, on its own.
describe('shareWithinTurn', () => {
  it('makes one read per key for the calls of one turn', async () => {
    const read = vi.fn(async (key: string) => `${key}!`);
    const shared = shareWithinTurn(read);
    expect(await Promise.all([shared('a'), shared('a'), shared('b'), shared('a')])).toEqual(['a!', 'a!', 'b!', 'a!']);
    expect(read.mock.calls).toEqual([['a'], ['b']]);
  });

  it('never joins a read already started: a later call gets a read of its own', async () => {
    const answers: ((value: number) => void)[] = [];
    const read = vi.fn(() => new Promise<number>((resolve) => answers.push(resolve)));
    const shared = shareWithinTurn(read);
    const early = shared('k');
    await nextTurn();
    expect(read).toHaveBeenCalledTimes(1); // started, not answered
    const late = shared('k');
    await nextTurn();
    expect(read).toHaveBeenCalledTimes(2);
    answers[1]!(2);
    answers[0]!(1);
    expect([await early, await late]).toEqual([1, 2]);
  });

  it('rejects every sharer when the read fails, even at once', async () => {
    const shared = shareWithinTurn((): Promise<number> => {
      throw new Error('refused');
    });
    const results = await Promise.allSettled([shared('k'), shared('k')]);
    expect(results.map((result) => result.status === 'rejected' && (result.reason as Error).message)).toEqual(['refused', 'refused']);
  });
});
