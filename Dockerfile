# One image for both application processes; docker-compose.yml picks the command per service:
#   gateway: npx tsx src/gateway/main.ts      worker: npx tsx src/worker/main.ts
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false

# Dependencies first so source edits don't invalidate the npm layer.
# (tsx is a runtime dependency: TypeScript runs directly, there is no build step.)
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY . .

USER node
EXPOSE 4000
CMD ["npx", "tsx", "src/gateway/main.ts"]
