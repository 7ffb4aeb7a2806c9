# One image for every service: build once, pick the service with SERVICE at run time.
# syntax=docker/dockerfile:1
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/libs ./libs
COPY --from=build /app/services ./services
# leadctl, for the Kubernetes Job that publishes the rule set (deploy/k8s: node tools/leadctl/dist/main.js rules publish …).
COPY --from=build /app/tools/leadctl ./tools/leadctl
COPY --from=build /app/deploy/local ./deploy/local
USER node
ENV SERVICE=ingest
# Young generation capped as deploy/local does (see SERVICE_NODE_FLAGS there).
CMD ["sh", "-c", "exec node --max-semi-space-size=16 services/${SERVICE}/dist/main.js"]
