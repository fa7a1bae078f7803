# syntax=docker/dockerfile:1
# The Ottoscaler controller image. Deploy it with manifests/base (through an overlay that names
# your registry: see manifests/README.md).
#   docker build -t ottoscaler:dev .
# Without Docker (the local cluster of hack/cluster-up.sh): hack/build-image.sh builds the same
# image (node 24, production node_modules, server/ gen/ package*.json, uid 65532) and imports it.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Every dependency first (a build or check step could use them), then only production ones.
# --ignore-scripts: nothing needs an install script; it also keeps the `node` devDependency from
# downloading a second Node binary — the runtime stage uses the image's own `node`.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY gen ./gen
COPY server ./server
# Not root; the same numeric id as manifests/base/deployment.yaml (runAsNonRoot needs a number).
USER 65532:65532
EXPOSE 9090
# Node as PID 1 handles SIGTERM itself (server/main.ts): it stops accepting, ends its streams,
# leaves its worker Jobs running (the next controller deletes them) and exits. The base image's
# entrypoint execs this command.
CMD ["node", "server/main.ts"]
