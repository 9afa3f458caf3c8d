import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's `prisma/migrations`, found upwards from this module: the same folder whether it
 * runs from its TypeScript source (packages/db/src/migrate) or compiled into dist/.
 */
export function defaultMigrationsDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error('No prisma/migrations folder above the migration runner.');
  }
}

export interface MigrationFile {
  name: string;
  sql: string;
  /** Prisma's checksum: lowercase hex sha256 of the raw migration.sql bytes. */
  checksum: string;
  /**
   * Checksums that also count as this file: the same text with CRLF and LF swapped, as Prisma
   * accepts (script_matches_checksum), so a checkout with other line endings is not "modified".
   */
  equivalentChecksums: string[];
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** The migration directories in Prisma's layout, in the order they apply (sorted by name). */
export function readMigrationFiles(migrationsDir: string): MigrationFile[] {
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(migrationsDir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(migrationsDir, name, 'migration.sql'));
      const sql = bytes.toString('utf8');
      const lf = sql.replace(/\r\n/g, '\n');
      const checksum = sha256(bytes);
      return { name, sql, checksum, equivalentChecksums: [checksum, sha256(lf), sha256(lf.replace(/\n/g, '\r\n'))] };
    });
}
