# One image for every process: the api (default CMD), the worker, migrations, the seed and the ops
# CLI. The build stage compiles them to JavaScript (`npm run build`: dist/, the generated Prisma
# client included); the final stage holds dist/, the migrations and production node_modules, and
# runs plain node: no TypeScript, tsx or esbuild at run time.
#
#   docker build -t flash-sale .
#   docker run --rm -p 3000:3000 -e NODE_ENV=production -e PAYMENT_WEBHOOK_SECRET=... \
#     -e DATABASE_URL=mysql://... -e REDIS_URL=redis://... flash-sale
#   worker:     ... flash-sale node --enable-source-maps dist/worker.js
#   migrations: ... flash-sale node --enable-source-maps dist/db-migrate.js
#   ops CLI:    ... flash-sale node dist/cli.js queues

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- manifests: the package.json files (and bin scripts) of every workspace, nothing else. ----
# npm ci only needs these, so its layer stays cached until a dependency changes, and a new
# workspace under apps/ or packages/ needs no edit here.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY apps ./apps
COPY packages ./packages
RUN find apps packages -type f ! -name package.json ! -path '*/bin/*' -delete \
 && find apps packages -depth -type d -empty -delete

# ---- build: full install, generate the Prisma client, type-check, compile to dist/. ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
COPY --from=manifests /app/ ./
# --ignore-scripts, then generate explicitly: the npm bundled with node:20 (10.x) ignores the
# root package.json's allowScripts map, so a plain `npm ci` would run @prisma/engines'
# postinstall, which downloads a native engine from outside the npm registry. `prisma generate`
# needs no engine (see prisma.config.ts); esbuild and msgpackr find their platform packages
# without their install scripts.
RUN npm ci --ignore-scripts \
 && npm run db:generate
COPY . .
# The compiler used for dist/ (esbuild) strips types without checking them: refuse to build an
# image whose sources do not type-check, then compile.
RUN npx tsc -p tsconfig.json \
 && npm run build

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
# JSON logs even when run with a terminal attached (docker run -t).
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=manifests /app/ ./
# Production dependencies only; no install scripts (prisma is not here to generate anyway).
RUN npm ci --omit=dev --ignore-scripts \
 && npm cache clean --force
# The migrations (read by dist/db-migrate.js at run time) and the compiled processes, which
# carry the domain packages and the generated Prisma client inside them.
COPY prisma ./prisma
COPY --from=build /app/dist ./dist

# Everything above is owned by root and read-only for the process: it writes nothing under
# /app, so a compromised process cannot rewrite its own code.
USER node

# 3000: the api (PORT). 9464: a worker's /metrics and /health/live (WORKER_METRICS_PORT).
EXPOSE 3000 9464

# Liveness of the api; compose overrides it for the worker (port 9464) and turns it off for the
# one-shot migrate container. No curl in slim images: node's own fetch.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: node is PID 1 and receives SIGTERM itself (graceful shutdown). Source maps turn a
# stack trace back into file:line of the TypeScript sources.
# The heap ceiling (the api's only) keeps it under 250 MB RSS at 256 clients on one product;
# without it V8 grows its old space lazily to ~370 MB under that load (README, Benchmarks).
CMD ["node", "--enable-source-maps", "--max-old-space-size=160", "dist/api.js"]
