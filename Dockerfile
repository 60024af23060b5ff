# agreement-ledger: one API instance. `docker compose up` runs several behind a proxy on an
# EventStoreDB cluster; `docker run` of this image alone runs on the embedded SQLite store.
# Node 24 is the current LTS; the tests also run on Node 20 (see package.json "engines").
ARG NODE_IMAGE=node:24-bookworm-slim

# better-sqlite3 compiles from source (no prebuilt download here): python3, make and g++.
FROM ${NODE_IMAGE} AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./

# Build: every dependency, then the same `npm run build` the package defines (tsc -p tsconfig.build.json).
FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY domain ./domain
COPY projections ./projections
COPY src ./src
RUN npm run build

# Production dependencies only, compiled here so the run stage needs no compiler.
FROM toolchain AS deps
RUN npm ci --omit=dev --no-audit --no-fund

# Run: only what runs, as the image's unprivileged `node` user.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY data/demo ./data/demo
# The log names who recorded what and the tokens are secrets: the volume is the node user's alone.
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/server.js"]
