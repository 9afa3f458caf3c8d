import { describe, expect, it } from 'vitest';
import { createBatchLine, type BatchTurn, type MemberResult } from '../src/batching/batch-line.ts';

// The batching line alone, with batches whose steps the test releases by hand.

interface Gate {
  open(): void;
  passed: Promise<void>;
}
const gate = (): Gate => {
  let open!: () => void;
  const passed = new Promise<void>((resolve) => (open = resolve));
  return { open, passed };
};
const tick = () => new Promise((resolve) => setImmediate(resolve));

function scriptedLine(options = { maxBatch: 10, maxWaiting: 5 }) {
  let inTransaction = 0;
  let mostInTransaction = 0;
  const batches: { members: number[]; lock: Gate; commit: Gate; tail: Gate; fail?: Error }[] = [];
  const line = createBatchLine<string, number, number>(options, async (_key, turn: BatchTurn<number>): Promise<MemberResult<number>[]> => {
    const batch = { members: [] as number[], lock: gate(), commit: gate(), tail: gate() };
    batches.push(batch);
    inTransaction += 1;
    mostInTransaction = Math.max(mostInTransaction, inTransaction);
    try {
      await batch.lock.passed;
      batch.members = turn.take();
      await batch.commit.passed;
    } finally {
      inTransaction -= 1;
      turn.committed();
    }
    await batch.tail.passed;
    return batch.members.map((member) => ({ ok: true, value: member * 10 }));
  });
  return { line, batches, mostInTransaction: () => mostInTransaction };
}

describe('the batching line', () => {
  it('runs one request alone at once, and gathers those that arrive meanwhile into the next batch', async () => {
    const { line, batches } = scriptedLine();
    const first = line.submit('p', 1);
    await tick();
    expect(batches).toHaveLength(1);
    batches[0]!.lock.open();
    await tick();
    expect(batches[0]!.members).toEqual([1]);
    const others = [2, 3, 4].map((input) => line.submit('p', input));
    await tick();
    // The next batch has opened and waits for the lock; it takes whoever is waiting when it gets it.
    expect(batches).toHaveLength(2);
    batches[0]!.commit.open();
    batches[0]!.tail.open();
    expect(await first).toBe(10);
    batches[1]!.lock.open();
    await tick();
    expect(batches[1]!.members).toEqual([2, 3, 4]);
    batches[1]!.commit.open();
    batches[1]!.tail.open();
    expect(await Promise.all(others)).toEqual([20, 30, 40]);
  });

  it('refuses with a 503 past the bound of the waiting line', async () => {
    const { line, batches } = scriptedLine({ maxBatch: 10, maxWaiting: 2 });
    void line.submit('p', 1);
    await tick();
    batches[0]!.lock.open();
    await tick();
    void line.submit('p', 2);
    void line.submit('p', 3);
    await expect(line.submit('p', 4)).rejects.toMatchObject({ code: 'service_unavailable' });
  });

  it('never has more than two batches of a key in their transaction, however batches end', async () => {
    const { line, batches, mostInTransaction } = scriptedLine({ maxBatch: 10, maxWaiting: 20 });
    const finish = async (index: number) => {
      batches[index]!.lock.open();
      batches[index]!.commit.open();
      batches[index]!.tail.open();
      await tick();
    };
    // A commits and lingers in its after-commit tail (a slow cache write)…
    const a = line.submit('p', 1);
    await tick();
    batches[0]!.lock.open();
    batches[0]!.commit.open();
    await tick();
    // …while C comes and goes, leaving the key idle, and D opens and waits for the lock.
    const c = line.submit('p', 2);
    await tick();
    await finish(1);
    expect(await c).toBe(20);
    const d = line.submit('p', 3);
    await tick();
    expect(batches).toHaveLength(3);
    // A's tail ends now: it must not forget D's line, or the next requests open batches of a
    // line of their own beside D's.
    batches[0]!.tail.open();
    expect(await a).toBe(10);
    await tick();
    const later = [line.submit('p', 4)];
    await tick();
    // If a second line was opened beside D's, its batch takes its member and holds on (not yet
    // committed) while one more request arrives.
    batches[3]?.lock.open();
    await tick();
    later.push(line.submit('p', 5));
    await tick();
    expect(mostInTransaction()).toBeLessThanOrEqual(2);
    for (let round = 0; round < 10; round += 1) for (let index = 2; index < batches.length; index += 1) await finish(index);
    expect(await d).toBe(30);
    expect(await Promise.all(later)).toEqual([40, 50]);
  });

  it('fails every member of a batch whose transaction fails, those it had not taken yet included', async () => {
    const line = createBatchLine<string, number, number>({ maxBatch: 10, maxWaiting: 10 }, async () => {
      throw new Error('MySQL went away');
    });
    const results = await Promise.allSettled([1, 2, 3].map((input) => line.submit('p', input)));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });
});
