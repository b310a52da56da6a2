# Edgeline's production server (`node server.mjs`, decision 0018) as a container image: README "Deploy → Docker",
# decision 0026. Build with `docker build -t edgeline .`; scripts/container-test.sh builds and checks it in CI.

# ---- build: the whole project, installed and built as on any machine -------------------------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /src
# Quiet builds: no telemetry from Next, no "new version of npm" notice (the build installs the npm it needs).
ENV NEXT_TELEMETRY_DISABLED=1 \
    npm_config_update_notifier=false
# A build behind a TLS-inspecting proxy passes its CA bundle's path here (and mounts the file); unset, Node's own.
ARG NODE_EXTRA_CA_CERTS
# The lock file is written by npm 11, which node:22 does not bundle; npm 10 reads it as out of sync.
RUN npm install --global --no-audit --no-fund npm@11.19.1
COPY package.json package-lock.json ./
# No install scripts, as on a developer's machine (package.json "allowScripts"): every binary comes in a package.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# ---- run: Debian slim, Node and the standalone artefact; no npm, no compiler, no sources --------------------------
FROM debian:bookworm-slim
# A user of its own, numeric below so that Kubernetes' runAsNonRoot can check it. It owns one empty folder,
# /app/.data, where a volume keeps the embedded database when no DATABASE_URL is given (a new named volume takes
# its owner from it); without a volume there the entry point refuses to start rather than lose that data.
RUN groupadd --gid 10001 edgeline \
 && useradd --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin edgeline \
 && mkdir -p /app/.data && chown 10001:10001 /app/.data
# The very Node the artefact was built and tested with.
COPY --from=build /usr/local/bin/node /usr/local/bin/node
# HOSTNAME: Docker sets it to the container's name, and the server would listen on that name only.
# SHUTDOWN_TIMEOUT_MS: a stop drains for 8 s at most, inside `docker stop`'s 10 s before it kills.
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    HOSTNAME=0.0.0.0 \
    PORT=3000 \
    SHUTDOWN_TIMEOUT_MS=8000
WORKDIR /app
# Owned by root: the server cannot change its own code, even without --read-only.
COPY --from=build /src/.next/standalone ./
COPY container/entrypoint.mjs container/healthcheck.mjs ./container/
USER 10001:10001
EXPOSE 3000
# The server drains in-flight requests on SIGTERM and exits 0. The entry point runs the server in its own process,
# PID 1, so the signal reaches it directly (no init process needed).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/container/healthcheck.mjs"]
# `docker run … edgeline` serves; `docker run … edgeline migrate` applies the migrations and exits.
ENTRYPOINT ["node", "/app/container/entrypoint.mjs"]
CMD []
