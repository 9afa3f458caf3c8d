// `npm run build`: compiles every process's entry point, with the workspace packages it imports
// and the generated Prisma client, to an entry file each under dist/ (code they share in
// dist/chunks/; ES modules, Node 20, source maps). npm packages stay external: production
// installs them with `npm ci --omit=dev`, then runs plain `node` (no tsx, no esbuild, no
// TypeScript at run time).
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
// `--outdir <dir>` for a test build elsewhere (inside the repository, so that node_modules and
// prisma/migrations are found upwards from it, as they are from dist/).
const outdir = resolve(root, parseArgs({ options: { outdir: { type: 'string', default: 'dist' } } }).values.outdir);

/** What production runs: dist/<name>.js from each of these sources. */
export const entryPoints = {
  api: 'apps/api/src/main.ts',
  worker: 'apps/worker/src/main.ts',
  cli: 'apps/cli/src/main.ts',
  'db-migrate': 'scripts/db-migrate.ts',
  'db-seed': 'scripts/db-seed.ts',
  start: 'packages/process/src/run-together.ts',
};

// Our workspace packages are compiled in; every other bare import is an npm package.
const npmPackagesExternal: Plugin = {
  name: 'npm-packages-external',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@flash-sale/') ? undefined : { path: args.path, external: true }));
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Chunks shared by several entry points (the domain, the Prisma client) are written once.
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [npmPackagesExternal],
  logLevel: 'warning',
});
process.stdout.write(`build: ${outdir} written\n`);
