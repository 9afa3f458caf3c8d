import { randomBytes } from 'node:crypto';

// Test databases and Redis key prefixes are named `<prefix><created, base36 ms>_<random>`, so a
// later run can tell the leftovers of a killed run (old) from those of a run going on now.

/** A name of this test file's own, stamped with when it was made. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** When a name made by uniqueName(prefix) was made (NaN for a name not made so). */
export function createdAtOf(name: string, prefix: string): number {
  return Number.parseInt(name.slice(prefix.length).split('_')[0] ?? '', 36);
}
