# The workers' image: Deno (the version package.json pins) running the repository's source with the
# npm packages installed at build time, so a container needs no network beyond Kafka and Redis.
# Every process runs from this image; docker-compose.yml gives each its command line.
ARG DENO_VERSION=2.9.6
FROM denoland/deno:debian-${DENO_VERSION}

WORKDIR /app
RUN chown deno:deno /app
USER deno

# Dependencies first, so a source change does not reinstall them. `--prod` leaves out the
# devDependencies (the Deno and Bun runtimes from npm); `--frozen` fails when deno.lock is stale.
COPY --chown=deno:deno deno.json deno.lock import_map.json package.json package-lock.json ./
RUN deno install --prod --frozen

# The source (.dockerignore leaves out tests, tooling and local state).
COPY --chown=deno:deno . .
# Resolves every entrypoint's module graph at build time: a missing module fails the build, not a container.
RUN deno cache --frozen launcher/launch.ts workers/*.ts bridge/*.ts readers/*.ts tools/producer/main.ts

# The metrics and health endpoint of the process (METRICS_PORT; 8001-8006 by service).
EXPOSE 8001 8002 8003 8004 8005 8006
# The image's entrypoint (tini, then `deno`) takes the command: a `deno task` command line of deno.json
# without its leading `deno`, e.g. `run <flags> launcher/launch.ts <process>` (see docker-compose.yml).
CMD ["run", "--allow-env", "--allow-run", "--allow-read=.", "--allow-sys=hostname", "launcher/launch.ts", "flight-consumer"]
