# Build: compile TypeScript and bundle the playground with the dev tool chain.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json .swcrc ./
COPY src ./src
COPY playground ./playground
# The service only: the benchmark (bench/) stays out of the image.
RUN npx swc src -d dist --quiet && npm run -s build:playground

# Run: production dependencies and compiled JavaScript only, as the unprivileged `node` user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=4000 \
    DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# Without DATABASE_URL the service runs on the embedded database in DATA_DIR: mount a volume there.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 4000
# Ready means the database answers and no migration is pending; follows PORT when it is changed.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "dist/src/main.js"]
