# syntax=docker/dockerfile:1
# The lab's image: one image for `serve`, `worker` and `migrate` (k8s/ picks the command).
#
#   docker build -t ghcr.io/llm-research-lab/llm-lab:0.1.0 .
#
# The tag is the version in package.json; k8s/kustomization.yaml (`images:`) names the same
# image, and test/k8s/dockerfile.test.ts keeps the three in step.

# --- build: every dependency, then `npm run build` into dist/ --------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused while only sources change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# --- runtime: production dependencies and the build output only ------------------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# dist/ whole: the server today, and the web console's files once `npm run build` writes them.
COPY --from=build /app/dist ./dist
# Read at run time from the package root (src/common/package-root.ts): `llm-lab migrate` applies them.
COPY --from=build /app/drizzle ./drizzle
COPY --from=build /app/clickhouse ./clickhouse
# The base image's `node` user, by number, so the kubelet can check runAsNonRoot without
# reading /etc/passwd. Files stay root-owned: the process cannot change its own code.
USER 1000:1000
# PORT (HTTP: /graphql, /healthz, /readyz) and METRICS_PORT (Prometheus /metrics).
EXPOSE 4000 9464
# No HEALTHCHECK: the same image runs the worker, which serves no /healthz; Kubernetes uses
# the probes in k8s/api-deployment.yaml and ignores HEALTHCHECK anyway.
CMD ["node", "dist/src/main.js", "serve"]
