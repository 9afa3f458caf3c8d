// Prisma CLI configuration. Only `generate`, `validate` and `format` are expected to run here:
// this network cannot download Prisma's native schema engine, so migrations are applied by
// `npm run db:migrate` (packages/db/src/migrate), which keeps Prisma's own bookkeeping.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

const engineFreeCommands = new Set(['generate', 'validate', 'format']);
const command = process.argv.slice(2).find((arg) => !arg.startsWith('-'));

// The CLI downloads the schema engine before every command unless this variable names an
// existing file. Pointing it at this file is honest only for commands that never run the
// engine; migrate commands keep failing loudly instead of pretending to work.
if (command && engineFreeCommands.has(command) && !process.env.PRISMA_SCHEMA_ENGINE_BINARY) {
  const self = fileURLToPath(import.meta.url);
  if (existsSync(self)) process.env.PRISMA_SCHEMA_ENGINE_BINARY = self;
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/flash_sale' },
});
