# The clinic bot as a container: compiled JavaScript run by node, as the unprivileged `node` user.
# Build: docker build -t clinic-bot .      Run with Redis: docker compose up -d (compose.yaml)
# Install scripts are skipped (--ignore-scripts): the runtime needs none of them.

# 1. Compile TypeScript (src/ and dialogs/) to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY dialogs ./dialogs
RUN npm run build

# 2. Production dependencies only.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# 3. The runtime image.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=3978 \
    HOST=0.0.0.0 \
    KNOWLEDGE_DIR=/app/knowledge \
    MODEL_CACHE_DIR=/app/cache \
    AUDIT_DIR=/app/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY knowledge ./knowledge
# The trained-model cache and the audit/review files are the only places the bot writes.
RUN mkdir -p /app/cache /app/data && chown node:node /app/cache /app/data
USER node
EXPOSE 3978
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3978) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/index.js"]
