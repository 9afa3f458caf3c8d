// The packaging files (Dockerfile, .dockerignore, docker-compose.yml) cannot be built or run on
// the machines that run this suite (no Docker engine), so their structure is checked here instead.
// Each check is a function returning a list of problems: empty for the real files, and each rule is
// shown to fire on a deliberately broken copy, so no assertion here can pass vacuously.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EnvSchema } from '../src/env-schema.ts';
import { loadConfig } from '../src/index.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const readRepoFile = (path: string): string => readFileSync(`${repoRoot}${path}`, 'utf8');

/** Every variable the config reads: the only ones an app container may be given. */
const KNOWN_VARIABLES: ReadonlySet<string> = new Set(Object.keys(EnvSchema.properties));
/** What loadConfig refuses to start without when NODE_ENV=production (or needs pointed at compose). */
const REQUIRED_IN_PRODUCTION = ['NODE_ENV', 'DATABASE_URL', 'REDIS_URL', 'PAYMENT_WEBHOOK_SECRET'] as const;
const APP_SERVICES = ['migrate', 'api', 'worker'] as const;
const LONG_RUNNING = ['mysql', 'redis', 'api', 'worker'] as const;
/** The app processes' own shutdown deadline (packages/process): compose must wait longer. */
const APP_SHUTDOWN_DEADLINE_MS = 15_000;
/** A host environment as an operator would provide it. */
const HOST_ENV: Readonly<Record<string, string>> = { PAYMENT_WEBHOOK_SECRET: 'whsec_compose_check_0123456789' };

// ---------------------------------------------------------------------------------------------
// Small helpers over the untyped YAML.

type Dict = Record<string, unknown>;
const isDict = (value: unknown): value is Dict => typeof value === 'object' && value !== null && !Array.isArray(value);
const dict = (value: unknown): Dict => (isDict(value) ? value : {});

/** A compose command or healthcheck test, string or list, as one string for substring checks. */
function commandText(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(' ');
  return typeof value === 'string' ? value : '';
}

function tokens(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' ? value.split(/\s+/).filter(Boolean) : [];
}

/** `environment:` as a map or as a list of KEY=value; values as compose passes them (strings). */
function environmentOf(service: Dict): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  const raw = service.environment;
  if (Array.isArray(raw)) {
    for (const entry of raw.map(String)) {
      const eq = entry.indexOf('=');
      if (eq === -1) env.set(entry, undefined);
      else env.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
  } else if (isDict(raw)) {
    for (const [key, value] of Object.entries(raw)) env.set(key, value === null || value === undefined ? undefined : String(value));
  }
  return env;
}

/** `depends_on:` as a map of service to condition (the list form means service_started). */
function dependsOn(service: Dict): Map<string, string> {
  const deps = new Map<string, string>();
  const raw = service.depends_on;
  if (Array.isArray(raw)) for (const name of raw.map(String)) deps.set(name, 'service_started');
  else if (isDict(raw)) {
    for (const [name, spec] of Object.entries(raw)) deps.set(name, String(dict(spec).condition ?? 'service_started'));
  }
  return deps;
}

function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return value / 1e6; // compose reads bare numbers as nanoseconds
  if (typeof value !== 'string' || !/^(\d+(\.\d+)?(h|ms|m|s|us|ns))+$/.test(value)) return undefined;
  const factor: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };
  let total = 0;
  for (const match of value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g)) total += Number(match[1]) * (factor[match[2] ?? ''] ?? 0);
  return total;
}

export class InterpolationError extends Error {}

/**
 * Compose's variable substitution (the subset used here): `$$`, `${VAR}`, `$VAR`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`. A missing required variable throws, as
 * `docker compose` refuses to start.
 */
export function interpolate(value: string, hostEnv: Readonly<Record<string, string | undefined>>): string {
  const pattern = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
  return value.replace(pattern, (match, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (match === '$$') return '$';
    const name = braced ?? bare ?? '';
    const current = hostEnv[name];
    if (!op) return current ?? '';
    const missing = op.startsWith(':') ? !current : current === undefined;
    if (op.endsWith('-')) return missing ? (arg ?? '') : (current ?? '');
    if (missing) throw new InterpolationError(`required variable ${name} is missing a value: ${arg ?? ''}`);
    return current ?? '';
  });
}

function resolvedEnvironment(service: Dict, hostEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [key, value] of environmentOf(service)) {
    // A bare `KEY` (no value) passes the host's variable through.
    resolved[key] = value === undefined ? (hostEnv[key] ?? '') : interpolate(value, hostEnv);
  }
  return resolved;
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

export function parseCompose(text: string): unknown {
  // merge: resolve `<<: *anchor` as compose does; aliases are resolved by default.
  return parse(text, { merge: true });
}

export function checkCompose(document: unknown): string[] {
  const problems: string[] = [];
  const services = dict(dict(document).services);
  const service = (name: string): Dict => dict(services[name]);

  for (const name of ['mysql', 'redis', ...APP_SERVICES]) {
    if (!isDict(services[name])) problems.push(`service ${name} is missing`);
  }

  // Images and store settings.
  const mysql = service('mysql');
  const redis = service('redis');
  if (mysql.image !== 'mysql:8.4') problems.push(`mysql: image must be mysql:8.4 (is ${String(mysql.image)})`);
  if (typeof redis.image !== 'string' || !/^redis:7($|[.-])/.test(redis.image)) problems.push(`redis: image must be redis:7 (is ${String(redis.image)})`);
  const redisArgs = tokens(redis.command);
  const flag = (name: string): string | undefined => {
    const at = redisArgs.indexOf(name);
    return at === -1 ? undefined : redisArgs[at + 1];
  };
  if (flag('--appendonly') !== 'yes') problems.push('redis: must run with --appendonly yes (queued jobs survive a restart)');
  if (flag('--maxmemory-policy') !== 'noeviction') problems.push('redis: must run with --maxmemory-policy noeviction (BullMQ)');
  for (const [name, mount] of [['mysql', '/var/lib/mysql'], ['redis', '/data']] as const) {
    const volumes = Array.isArray(service(name).volumes) ? (service(name).volumes as unknown[]).map((v) => (isDict(v) ? String(v.target) : String(v))) : [];
    if (!volumes.some((volume) => volume.endsWith(`:${mount}`) || volume === mount)) problems.push(`${name}: data (${mount}) must be on a volume`);
  }
  for (const [key] of environmentOf(mysql)) {
    // The official image's own settings; the app's variables have no business there.
    if (!key.startsWith('MYSQL_')) problems.push(`mysql: unexpected environment variable ${key}`);
  }
  if (environmentOf(redis).size > 0) problems.push('redis: takes no environment (configured by its command line)');

  // Health checks on everything that stays up.
  for (const name of LONG_RUNNING) {
    const healthcheck = dict(service(name).healthcheck);
    const test = tokens(healthcheck.test);
    if (healthcheck.disable === true || test.length === 0 || test[0] === 'NONE') problems.push(`${name}: needs a healthcheck`);
  }
  if (!commandText(dict(mysql.healthcheck).test).includes('mysqladmin ping')) problems.push('mysql: healthcheck must be mysqladmin ping');
  if (!commandText(dict(redis.healthcheck).test).includes('redis-cli ping')) problems.push('redis: healthcheck must be redis-cli ping');
  if (!commandText(dict(service('api').healthcheck).test).includes('/health/ready')) problems.push('api: healthcheck must probe /health/ready');
  if (!commandText(dict(service('worker').healthcheck).test).includes('127.0.0.1:9464/health/live')) {
    problems.push('worker: healthcheck must probe http://127.0.0.1:9464/health/live');
  }

  // Start order: migrate once MySQL is up; api and worker once migrated and Redis is up.
  const migrate = service('migrate');
  if (migrate.restart !== 'no') problems.push(`migrate: must be one-shot, restart "no" (is ${String(migrate.restart)})`);
  if (dependsOn(migrate).get('mysql') !== 'service_healthy') problems.push('migrate: must depend on mysql service_healthy');
  const migrateCommand = commandText(migrate.command);
  const migrateAt = migrateCommand.indexOf('dist/db-migrate.js');
  const seedAt = migrateCommand.indexOf('dist/db-seed.js');
  if (migrateAt === -1 || seedAt < migrateAt) problems.push('migrate: must run the migrations, then the seed');
  for (const name of ['api', 'worker'] as const) {
    const deps = dependsOn(service(name));
    if (deps.get('migrate') !== 'service_completed_successfully') problems.push(`${name}: must depend on migrate service_completed_successfully`);
    if (deps.get('redis') !== 'service_healthy') problems.push(`${name}: must depend on redis service_healthy`);
    const grace = durationMs(service(name).stop_grace_period);
    if (grace === undefined || grace <= APP_SHUTDOWN_DEADLINE_MS) {
      problems.push(`${name}: stop_grace_period must exceed the ${APP_SHUTDOWN_DEADLINE_MS / 1000} s shutdown deadline (is ${String(service(name).stop_grace_period)})`);
    }
  }

  // The processes: one image, api by default, worker scalable.
  const api = service('api');
  const worker = service('worker');
  if (!api.build) problems.push('api: must be built from the Dockerfile (build: .)');
  for (const name of ['migrate', 'worker'] as const) {
    const other = service(name);
    if (!other.build && (typeof api.image !== 'string' || other.image !== api.image)) problems.push(`${name}: must run the api's image`);
  }
  if (api.command !== undefined && !commandText(api.command).includes('dist/api.js')) problems.push('api: must run dist/api.js');
  if (!tokens(api.ports).some((port) => /^(\d+\.\d+\.\d+\.\d+:)?3000:3000(\/tcp)?$/.test(port)) && !(Array.isArray(api.ports) && api.ports.some((p) => isDict(p) && Number(p.target) === 3000))) {
    problems.push('api: must publish 3000:3000');
  }
  if (!commandText(worker.command).includes('dist/worker.js')) problems.push('worker: must run dist/worker.js');
  // Production runs the compiled JavaScript with plain node; tsx is for development only.
  for (const name of ['api', 'worker', 'migrate'] as const) {
    if (/\btsx\b|\.ts\b/.test(commandText(service(name).command))) problems.push(`${name}: must run compiled JavaScript (dist/), not TypeScript through tsx`);
  }
  if (worker.container_name !== undefined) problems.push('worker: container_name prevents --scale worker=N');
  if (worker.ports !== undefined && tokens(worker.ports).length + (Array.isArray(worker.ports) ? worker.ports.length : 0) > 0) {
    problems.push('worker: a published port prevents --scale worker=N');
  }

  // Environment: what production requires, and nothing the config does not know.
  const mysqlEnv = (hostEnv: Readonly<Record<string, string | undefined>>): Record<string, string> => resolvedEnvironment(mysql, hostEnv);
  for (const name of APP_SERVICES) {
    const raw = environmentOf(service(name));
    for (const key of raw.keys()) {
      if (!KNOWN_VARIABLES.has(key)) problems.push(`${name}: sets ${key}, which the config does not read (packages/config/src/env-schema.ts)`);
    }
    for (const key of REQUIRED_IN_PRODUCTION) {
      if (!raw.has(key)) problems.push(`${name}: must set ${key}`);
    }
    const secret = raw.get('PAYMENT_WEBHOOK_SECRET') ?? '';
    if (raw.has('PAYMENT_WEBHOOK_SECRET') && !/^\$\{PAYMENT_WEBHOOK_SECRET:\?[^}]*\}$/.test(secret)) {
      problems.push(`${name}: PAYMENT_WEBHOOK_SECRET must be \${PAYMENT_WEBHOOK_SECRET:?...} (required from the host, never written here)`);
    }

    let env: Record<string, string>;
    try {
      env = resolvedEnvironment(service(name), HOST_ENV);
    } catch (error) {
      problems.push(`${name}: environment does not resolve with only PAYMENT_WEBHOOK_SECRET set: ${(error as Error).message}`);
      continue;
    }
    if (env.NODE_ENV !== 'production') problems.push(`${name}: NODE_ENV must be production (is ${String(env.NODE_ENV)})`);
    try {
      const config = loadConfig(env);
      if (config.paymentWebhookSecret !== HOST_ENV.PAYMENT_WEBHOOK_SECRET) problems.push(`${name}: PAYMENT_WEBHOOK_SECRET does not come from the host`);
    } catch (error) {
      problems.push(`${name}: the config refuses this environment: ${(error as Error).message}`);
    }
    for (const [key, host] of [['DATABASE_URL', 'mysql'], ['REDIS_URL', 'redis']] as const) {
      let hostname: string | undefined;
      try {
        hostname = new URL(env[key] ?? '').hostname;
      } catch {
        hostname = undefined;
      }
      if (hostname !== host) problems.push(`${name}: ${key} must point at host ${host} (is ${String(env[key])})`);
    }
    // DATABASE_URL's credentials and database match what the mysql service is initialised with,
    // with the defaults and with an operator's own password.
    for (const hostEnv of [HOST_ENV, { ...HOST_ENV, MYSQL_ROOT_PASSWORD: 'operator-Pw-1', MYSQL_PASSWORD: 'operator-Pw-2' }]) {
      try {
        const url = new URL(resolvedEnvironment(service(name), hostEnv).DATABASE_URL ?? '');
        const db = mysqlEnv(hostEnv);
        const user = decodeURIComponent(url.username);
        const password = decodeURIComponent(url.password);
        const expected = user === 'root' ? (db.MYSQL_ROOT_PASSWORD ?? '') : user === db.MYSQL_USER ? (db.MYSQL_PASSWORD ?? '') : undefined;
        if (expected === undefined) problems.push(`${name}: DATABASE_URL user ${user} is not an account the mysql service creates`);
        else if (password !== expected) problems.push(`${name}: DATABASE_URL password does not match the mysql service's`);
        const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
        if (db.MYSQL_DATABASE && database !== db.MYSQL_DATABASE) problems.push(`${name}: DATABASE_URL names ${database}, mysql creates ${db.MYSQL_DATABASE}`);
      } catch (error) {
        problems.push(`${name}: DATABASE_URL unusable: ${(error as Error).message}`);
      }
    }
    try {
      resolvedEnvironment(service(name), {});
      problems.push(`${name}: must refuse to start without PAYMENT_WEBHOOK_SECRET from the host`);
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  index: number;
  name: string | undefined;
  image: string;
  instructions: Instruction[];
}

/** Instructions with line continuations joined; comment lines (also inside continuations) dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let buffer = '';
  let startLine = 0;
  text.split(/\r?\n/).forEach((rawLine, at) => {
    const trimmed = rawLine.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && buffer === '')) return;
    if (buffer === '') startLine = at + 1;
    const continued = trimmed.endsWith('\\');
    buffer += `${continued ? trimmed.slice(0, -1).trimEnd() : trimmed} `;
    if (continued) return;
    const match = /^(\S+)\s*(.*)$/.exec(buffer.trim());
    if (match) instructions.push({ keyword: (match[1] ?? '').toUpperCase(), args: (match[2] ?? '').trim(), line: startLine });
    buffer = '';
  });
  return instructions;
}

function stagesOf(instructions: Instruction[]): Stage[] {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const parts = instruction.args.split(/\s+/).filter((part) => !part.startsWith('--'));
      const image = (parts[0] ?? '').replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => globalArgs.get(name) ?? '');
      const name = parts[1]?.toUpperCase() === 'AS' ? parts[2] : undefined;
      stages.push({ index: stages.length, name, image, instructions: [] });
    } else if (stages.length === 0) {
      const arg = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)$/.exec(instruction.args);
      if (instruction.keyword === 'ARG' && arg) globalArgs.set(arg[1] ?? '', (arg[2] ?? '').replace(/^["']|["']$/g, ''));
    } else {
      stages[stages.length - 1]?.instructions.push(instruction);
    }
  }
  return stages;
}

const npmCiRuns = (stage: Stage): string[] =>
  stage.instructions.filter((i) => i.keyword === 'RUN').flatMap((i) => i.args.split(/&&|;/).map((s) => s.trim()).filter((s) => /^npm (ci|clean-install)\b/.test(s)));

export function checkDockerfile(text: string): string[] {
  const problems: string[] = [];
  const instructions = parseDockerfile(text);
  const stages = stagesOf(instructions);
  if (stages.length < 2) return [`needs a build stage and a final stage (has ${stages.length} FROM)`];
  const final = stages[stages.length - 1] as Stage;
  const builders = stages.slice(0, -1);

  if (!/^node:20-bookworm-slim(@|$)/.test(final.image)) problems.push(`final stage must be node:20-bookworm-slim (is ${final.image})`);
  if (!builders.some((stage) => /^node:20-bookworm(-slim)?(@|$)/.test(stage.image))) problems.push('a build stage must be node:20-bookworm(-slim)');

  // Nothing downloads binaries at build time, except npm packages from the registry.
  for (const instruction of instructions) {
    if (instruction.keyword === 'RUN' && /\b(curl|wget)\b/.test(instruction.args)) problems.push(`line ${instruction.line}: downloads with curl/wget`);
    if (instruction.keyword === 'ADD' && /https?:\/\//.test(instruction.args)) problems.push(`line ${instruction.line}: ADD from a URL`);
  }
  for (const stage of stages) {
    for (const run of npmCiRuns(stage)) {
      // node:20's npm (10.x) ignores package.json's allowScripts, so install scripts would run,
      // and @prisma/engines' postinstall downloads a native engine from outside the registry.
      if (!run.includes('--ignore-scripts')) problems.push(`stage ${stage.name ?? stage.index}: \`${run}\` must pass --ignore-scripts`);
    }
  }

  const finalRuns = npmCiRuns(final);
  if (finalRuns.length === 0 || !finalRuns.every((run) => run.includes('--omit=dev'))) problems.push('final stage must install with npm ci --omit=dev');
  if (!builders.some((stage) => npmCiRuns(stage).some((run) => !run.includes('--omit=dev')))) problems.push('a build stage must run a full npm ci (prisma is a devDependency)');

  const finalEnv = final.instructions.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
  if (!/(^|\s)NODE_ENV(=|\s+)["']?production\b/.test(finalEnv)) problems.push('final stage must set NODE_ENV=production');

  // The compiled processes (the generated Prisma client compiled in) come from a stage that
  // generated the client and ran the build.
  const distCopy = final.instructions.find((i) => i.keyword === 'COPY' && /--from=/.test(i.args) && /\/dist\b/.test(i.args));
  if (!distCopy) problems.push('final stage must COPY --from=<build> the compiled dist/ (npm run build)');
  else {
    const from = /--from=(\S+)/.exec(distCopy.args)?.[1] ?? '';
    const source = builders.find((stage) => stage.name === from || String(stage.index) === from);
    const runs = (pattern: RegExp) => source?.instructions.some((i) => i.keyword === 'RUN' && pattern.test(i.args));
    if (!source || !runs(/prisma generate|db:generate/)) problems.push(`dist/ is copied from stage ${from}, which does not run prisma generate`);
    else if (!runs(/npm run build/)) problems.push(`dist/ is copied from stage ${from}, which does not run npm run build`);
  }

  // Runs as a non-root user, in exec form, the api by default.
  const cmdIndex = final.instructions.map((i) => i.keyword).lastIndexOf('CMD');
  const cmd = final.instructions[cmdIndex];
  if (!cmd) problems.push('final stage needs a CMD');
  else {
    let argv: unknown;
    try {
      argv = JSON.parse(cmd.args);
    } catch {
      argv = undefined;
    }
    if (!Array.isArray(argv) || !argv.every((part) => typeof part === 'string')) problems.push(`CMD must be exec form (a JSON array): ${cmd.args}`);
    else if (!argv.includes('dist/api.js')) problems.push('the default CMD must run the api (dist/api.js)');
    else if (argv.some((part) => /\btsx\b/.test(part))) problems.push('the default CMD must run plain node, not tsx');
  }
  const users = final.instructions.slice(0, cmdIndex === -1 ? undefined : cmdIndex).filter((i) => i.keyword === 'USER');
  const user = users[users.length - 1]?.args.split(':')[0];
  if (!user || user === 'root' || user === '0') problems.push('final stage must switch to a non-root USER (e.g. node) before CMD');

  const healthcheck = final.instructions.find((i) => i.keyword === 'HEALTHCHECK');
  if (!healthcheck || /^NONE\b/i.test(healthcheck.args)) problems.push('final stage needs a HEALTHCHECK');
  else if (!healthcheck.args.includes('/health/live') || /\bcurl\b/.test(healthcheck.args)) problems.push('HEALTHCHECK must probe /health/live with node (no curl in slim images)');

  const exposed = final.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((port) => port.replace(/\/tcp$/, ''));
  for (const port of ['3000', '9464']) if (!exposed.includes(port)) problems.push(`final stage must EXPOSE ${port}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// .dockerignore

/** Whether Docker leaves `path` out of the build context (last matching rule wins; a match on a parent directory counts). */
export function dockerIgnores(dockerignore: string, path: string): boolean {
  const rules = dockerignore
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
      const source = pattern
        .split('/')
        .map((segment) => (segment === '**' ? '\u0000' : segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\u0000\//g, '(?:.*/)?')
        .replace(/\/\u0000/g, '(?:/.*)?')
        .replace(/\u0000/g, '.*');
      return { negated, regex: new RegExp(`^${source}$`) };
    });
  const segments = path.split('/');
  let ignored = false;
  for (const rule of rules) {
    const matches = segments.some((_, at) => rule.regex.test(segments.slice(0, at + 1).join('/')));
    if (matches) ignored = !rule.negated;
  }
  return ignored;
}

const MUST_BE_IGNORED = [
  'node_modules/tsx/package.json',
  'apps/api/node_modules/x/index.js',
  '.git/HEAD',
  'apps/api/test/holds.test.ts',
  'apps/api/test/helpers/server.ts',
  'packages/config/test/load-config.test.ts',
  'bench/holds.ts',
  'coverage/index.html',
  'npm-debug.log',
  '.env',
  'packages/db/src/generated/prisma/client.ts',
  'dist/api.js',
];
const MUST_BE_KEPT = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'prisma.config.ts',
  'prisma/schema.prisma',
  'prisma/migrations/20250101000000_init/migration.sql',
  'apps/api/src/main.ts',
  'apps/worker/src/main.ts',
  'apps/cli/bin/flash-sale.js',
  'scripts/db-migrate.ts',
  'scripts/db-seed.ts',
  'scripts/build.ts',
];

export function checkDockerignore(text: string): string[] {
  return [
    ...MUST_BE_IGNORED.filter((path) => !dockerIgnores(text, path)).map((path) => `.dockerignore must exclude ${path}`),
    ...MUST_BE_KEPT.filter((path) => dockerIgnores(text, path)).map((path) => `.dockerignore must not exclude ${path}`),
  ];
}

// ---------------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  const text = readRepoFile('docker-compose.yml');
  const mutated = (change: (services: Dict) => void): Dict => {
    const document = structuredClone(parseCompose(text)) as Dict;
    change(dict(document.services));
    return document;
  };
  const svc = (services: Dict, name: string): Dict => dict(services[name]);
  const envOf = (services: Dict, name: string): Dict => dict(svc(services, name).environment);

  it('parses, anchors and merge keys resolved, with every service', () => {
    const services = dict(dict(parseCompose(text)).services);
    expect(Object.keys(services).sort()).toEqual(['api', 'migrate', 'mysql', 'redis', 'worker']);
    // The shared block reached every app service through the anchor.
    for (const name of APP_SERVICES) expect(environmentOf(svc(services, name)).get('REDIS_URL')).toBe('redis://redis:6379');
  });

  it('passes every check', () => {
    expect(checkCompose(parseCompose(text))).toEqual([]);
  });

  it.each<[string, (services: Dict) => void, RegExp]>([
    ['a service missing', (s) => delete s.worker, /service worker is missing/],
    ['the wrong MySQL', (s) => void (svc(s, 'mysql').image = 'mysql:8.0'), /mysql: image/],
    ['the wrong Redis', (s) => void (svc(s, 'redis').image = 'redis:6'), /redis: image/],
    ['Redis without AOF', (s) => void (svc(s, 'redis').command = ['redis-server', '--maxmemory-policy', 'noeviction']), /appendonly/],
    ['Redis that evicts', (s) => void (svc(s, 'redis').command = ['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'allkeys-lru']), /noeviction/],
    ['MySQL without a volume', (s) => delete svc(s, 'mysql').volumes, /mysql: data/],
    ['an app variable on mysql', (s) => void (envOf(s, 'mysql').DATABASE_URL = 'mysql://x'), /mysql: unexpected environment variable DATABASE_URL/],
    ['a worker without healthcheck', (s) => delete svc(s, 'worker').healthcheck, /worker: needs a healthcheck/],
    ['a disabled redis healthcheck', (s) => void (svc(s, 'redis').healthcheck = { disable: true }), /redis: needs a healthcheck/],
    ['an api checking liveness only', (s) => void (dict(svc(s, 'api').healthcheck).test = ['CMD', 'node', '-e', "fetch('http://127.0.0.1:3000/health/live')"]), /health\/ready/],
    ['a restarting migrate', (s) => void (svc(s, 'migrate').restart = 'on-failure'), /migrate: must be one-shot/],
    ['migrate not waiting for MySQL', (s) => delete svc(s, 'migrate').depends_on, /migrate: must depend on mysql/],
    ['migrate without the seed', (s) => void (svc(s, 'migrate').command = ['node', 'dist/db-migrate.js']), /migrations, then the seed/],
    ['a worker through tsx', (s) => void (svc(s, 'worker').command = ['node', '--import', 'tsx', 'apps/worker/src/main.ts']), /worker: must run dist\/worker.js/],
    ['api started before migrate finished', (s) => void (dict(dict(svc(s, 'api').depends_on).migrate).condition = 'service_started'), /api: must depend on migrate/],
    ['worker not waiting for Redis', (s) => delete dict(svc(s, 'worker').depends_on).redis, /worker: must depend on redis/],
    ['a short grace period', (s) => void (svc(s, 'api').stop_grace_period = '10s'), /api: stop_grace_period/],
    ['a worker with a container name', (s) => void (svc(s, 'worker').container_name = 'worker'), /container_name/],
    ['a worker with a published port', (s) => void (svc(s, 'worker').ports = ['9464:9464']), /published port/],
    ['an api without its port', (s) => delete svc(s, 'api').ports, /publish 3000/],
    ['a variable the config does not know', (s) => void (envOf(s, 'api').DATABSE_URL = 'typo'), /api: sets DATABSE_URL/],
    ['a missing required variable', (s) => delete envOf(s, 'worker').REDIS_URL, /worker: must set REDIS_URL/],
    ['a hard-coded webhook secret', (s) => void (envOf(s, 'migrate').PAYMENT_WEBHOOK_SECRET = 'whsec_hard_coded_0123456789'), /migrate: PAYMENT_WEBHOOK_SECRET must be/],
    ['a development NODE_ENV', (s) => void (envOf(s, 'api').NODE_ENV = 'development'), /api: NODE_ENV must be production/],
    ['a value the config refuses', (s) => void (envOf(s, 'worker').LOG_LEVEL = 'loud'), /worker: the config refuses/],
    ['a DATABASE_URL on localhost', (s) => void (envOf(s, 'api').DATABASE_URL = 'mysql://root@127.0.0.1:3306/flash_sale'), /api: DATABASE_URL must point at host mysql/],
    ['a REDIS_URL on localhost', (s) => void (envOf(s, 'worker').REDIS_URL = 'redis://127.0.0.1:6379'), /worker: REDIS_URL must point at host redis/],
    ['a DATABASE_URL password out of step', (s) => void (envOf(s, 'mysql').MYSQL_ROOT_PASSWORD = 'something-else'), /password does not match/],
  ])('fails on %s', (_, change, expected) => {
    const problems = checkCompose(mutated(change));
    expect(problems.join('\n')).toMatch(expected);
  });

  it('interpolates like compose', () => {
    expect(interpolate('a${X:-d}b$$c', {})).toBe('adb$c');
    expect(interpolate('${X:-d}', { X: '' })).toBe('d');
    expect(interpolate('${X-d}', { X: '' })).toBe('');
    expect(() => interpolate('${X:?set X}', { X: '' })).toThrow(/required variable X is missing a value: set X/);
    expect(interpolate('$X/${X}', { X: 'v' })).toBe('v/v');
  });
});

describe('Dockerfile', () => {
  const text = readRepoFile('Dockerfile');
  const replaced = (from: RegExp, to: string): string => {
    const changed = text.replace(from, to);
    expect(changed).not.toBe(text); // the mutation must hit something, or the case proves nothing
    return changed;
  };

  it('passes every check', () => {
    expect(checkDockerfile(text)).toEqual([]);
  });

  it('joins continuation lines and skips comments', () => {
    expect(parseDockerfile('# c\nFROM a AS b\nRUN x \\\n  # inside\n  && y\n')).toEqual([
      { keyword: 'FROM', args: 'a AS b', line: 2 },
      { keyword: 'RUN', args: 'x && y', line: 3 },
    ]);
  });

  it.each<[string, () => string, RegExp]>([
    ['a single stage', () => 'FROM node:20-bookworm-slim\nCMD ["node"]\n', /build stage and a final stage/],
    ['a full install in the final stage', () => replaced(/npm ci --omit=dev --ignore-scripts/, 'npm ci --ignore-scripts'), /--omit=dev/],
    ['install scripts in the final stage', () => replaced(/npm ci --omit=dev --ignore-scripts/, 'npm ci --omit=dev'), /must pass --ignore-scripts/],
    ['a download', () => replaced(/^USER node$/m, 'RUN curl -fsSL https://example.invalid/x | sh\nUSER node'), /curl\/wget/],
    ['no compiled dist/', () => replaced(/^COPY --from=build \/app\/dist.*$/m, ''), /compiled dist/],
    ['dist/ from a stage that does not generate', () => replaced(/COPY --from=build \/app\/dist/, 'COPY --from=manifests /app/dist'), /does not run prisma generate/],
    ['a build stage that does not compile', () => replaced(/ \\\n && npm run build/, ''), /does not run npm run build/],
    ['an api through tsx', () => replaced(/^CMD \[.*\]$/m, 'CMD ["node", "--import", "tsx", "dist/api.js"]'), /plain node/],
    ['running as root', () => replaced(/^USER node$/m, 'USER root'), /non-root USER/],
    ['no USER', () => replaced(/^USER node$/m, ''), /non-root USER/],
    ['a shell-form CMD', () => replaced(/^CMD \[.*\]$/m, 'CMD node dist/api.js'), /exec form/],
    ['no HEALTHCHECK', () => replaced(/^HEALTHCHECK[\s\S]*?\n(?=\n)/m, ''), /HEALTHCHECK/],
    ['a port not exposed', () => replaced(/^EXPOSE 3000 9464$/m, 'EXPOSE 3000'), /EXPOSE 9464/],
    ['a development final stage', () => replaced(/ENV NODE_ENV=production/, 'ENV NODE_ENV=development'), /NODE_ENV=production/],
  ])('fails on %s', (_, variant, expected) => {
    expect(checkDockerfile(variant()).join('\n')).toMatch(expected);
  });
});

describe('.dockerignore', () => {
  const text = readRepoFile('.dockerignore');

  it('keeps dependencies, git, tests, bench, logs, secrets and the generated client out, and the sources in', () => {
    expect(checkDockerignore(text)).toEqual([]);
  });

  it('matches like Docker', () => {
    expect(dockerIgnores('node_modules', 'apps/api/node_modules/x')).toBe(false); // root only
    expect(dockerIgnores('**/node_modules', 'apps/api/node_modules/x')).toBe(true);
    expect(dockerIgnores('.env.*\n!.env.example', '.env.example')).toBe(false);
    expect(dockerIgnores('**/test', 'test/a.ts')).toBe(true);
  });

  it.each<[string, string, RegExp]>([
    ['node_modules', text.replace(/^\*\*\/node_modules$/m, ''), /exclude node_modules/],
    ['.git', text.replace(/^\.git$/m, ''), /exclude \.git\/HEAD/],
    ['tests', text.replace(/^\*\*\/test$/m, ''), /exclude apps\/api\/test/],
    ['the sources', `${text}\napps\n`, /must not exclude apps\/api\/src\/main\.ts/],
  ])('fails when %s changes', (_, variant, expected) => {
    expect(variant).not.toBe(text);
    expect(checkDockerignore(variant).join('\n')).toMatch(expected);
  });
});

describe('production Node flags', () => {
  // The heap ceiling is what keeps the api's RSS under its target at 256 clients; the bench
  // measures with it, so every way production starts a process must pass the same one.
  const heapCeiling = (text: string) => [...text.matchAll(/--max-old-space-size=(\d+)/g)].map((match) => Number(match[1]));

  it('gives the image\'s api, npm run start:prod and the bench the same heap ceiling', () => {
    const image = heapCeiling(readRepoFile('Dockerfile').match(/^CMD .*$/m)?.[0] ?? '');
    const startProd = heapCeiling((JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> }).scripts['start:prod'] ?? '');
    const bench = heapCeiling(readRepoFile('bench/run.ts').match(/productionNodeArgs = \[.*\]/)?.[0] ?? '');
    expect(image).toHaveLength(1);
    expect(startProd).toEqual(image);
    expect(bench).toEqual(image);
  });
});
