# syntax=docker/dockerfile:1
# launchproof as a container: `docker compose up --build` (compose.yaml) or
#   docker build -t launchproof . && docker run --env-file launchproof.env -p 8080:8080 launchproof
#
# Three stages. The image that runs holds built JavaScript, the production dependencies and the
# migrations, nothing else: no TypeScript, no bundler, no test tools, no shell scripts of ours.
# test/container/dockerfile.test.ts reproduces the last two stages outside Docker, instruction by
# instruction, and fails if this file grows an instruction it does not know how to reproduce.

ARG NODE_IMAGE=node:20-bookworm-slim

# 1. build: every dependency (the build needs esbuild and tsx), then dist/launchproof.js (guard + dist/cli.js) with the
#    browser verifier compiled in (scripts/build.mjs).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: nothing here needs an install script, and none may download a binary.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY scripts/build.mjs scripts/
COPY src src
# Imported by the sources as JSON: the profiles, type metadata and the default key policy.
COPY wellknown wellknown
COPY keys/policy.json keys/
RUN npm run build

# 2. deps: the production dependencies alone, from the same lockfile.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# 3. runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    LAUNCHPROOF_ENV=production \
    BIND_ADDRESS=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/var/lib/launchproof
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY package.json ./
COPY migrations migrations
COPY --from=build /src/dist dist
# The embedded database and the generated files live here when DATABASE_URL is unset; a volume
# mounted here takes this owner, so the unprivileged user can write it.
RUN mkdir -p /var/lib/launchproof && chown node:node /var/lib/launchproof
VOLUME /var/lib/launchproof
# `node` (uid 1000) comes with the official image; files under /app stay root's, read-only to it.
USER node
EXPOSE 8080
# Liveness only (/healthz is shallow); the slim image has no curl, Node 20 has fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# One V8 worker thread instead of four: each thread keeps a malloc arena of its own (RSS after
# start on PGlite: 218-240 -> 202-212 MiB, docs/benchmarks.md).
CMD ["node", "--enable-source-maps", "--v8-pool-size=1", "dist/launchproof.js", "serve"]
