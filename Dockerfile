# syntax=docker/dockerfile:1
# One image per service, all from this file (build with deploy/docker/build-images.sh):
#   docker build --build-arg SERVICE=payouts -t rewards/payouts:<tag> .
# The stages before `runtime` do not depend on SERVICE, so the five builds share them in the cache.

# Pinned by digest: a rebuild gets the same base, and a re-pushed tag cannot change it silently.
# Bump deliberately: docker buildx imagetools inspect node:20-bookworm-slim
ARG NODE_IMAGE=node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

# Only the workspace manifests, so the install layers below are reused until dependencies change.
FROM base AS manifests
COPY libs ./libs
RUN find libs -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

FROM base AS prod-deps
COPY package.json package-lock.json ./
COPY --from=manifests /app/libs ./libs
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts

FROM base AS build
COPY package.json package-lock.json ./
COPY --from=manifests /app/libs ./libs
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts
COPY tsconfig.base.json tsconfig.build.json ./
COPY libs ./libs
COPY services ./services
COPY tools ./tools
RUN npm run build

FROM base AS runtime
ARG SERVICE
RUN case "$SERVICE" in gateway|bookings|referrals|wallet|payouts) ;; \
      *) echo "build with --build-arg SERVICE=<gateway|bookings|referrals|wallet|payouts>" >&2; exit 1 ;; \
    esac
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    SERVICE=${SERVICE}
# node_modules/@rewards/* are workspace links to libs/<lib>, whose package.json "main" points at
# dist/libs/<lib>/src/index.js. Files stay owned by root: the app cannot modify its own code, and
# it writes nothing outside /tmp, so the root filesystem can be mounted read-only.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=manifests /app/libs ./libs
COPY --from=build /app/dist/libs ./dist/libs
COPY --from=build /app/dist/services/${SERVICE} ./dist/services/${SERVICE}
# One entry point whatever the service: exec-form CMD cannot expand ${SERVICE}. The preload starts
# OpenTelemetry before the service's modules load (a no-op unless OTEL_EXPORTER_OTLP_ENDPOINT).
RUN ln -s "dist/services/${SERVICE}/src/main.js" main.js
# The base image's `node` user, numerically, so Kubernetes can check runAsNonRoot.
USER 1000:1000
# Migrations run from this image as a separate step (Kubernetes Job, compose one-shot):
#   node dist/services/<service>/src/db/migrate.js
# node runs as PID 1: the service handles SIGTERM itself (Nest shutdown hooks) to drain and exit.
CMD ["node", "--require", "./dist/libs/service-kit/src/tracing/preload.js", "main.js"]
