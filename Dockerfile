# opraft server image: Node 20 on Debian slim, compiled JavaScript, a non-root user, data in a volume.
# Build:  docker build -t opraft .      Run: see docker-compose.yml
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/opraft
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY docker/healthcheck.mjs ./docker/healthcheck.mjs
RUN groupadd --system --gid 4646 opraft \
 && useradd --system --uid 4646 --gid opraft --home-dir /var/lib/opraft --shell /usr/sbin/nologin opraft \
 && mkdir -p /var/lib/opraft /etc/opraft \
 && chown opraft:opraft /var/lib/opraft
USER opraft
VOLUME ["/var/lib/opraft"]
EXPOSE 4646 4647
ENV OPRAFT_USE_BUILD=1
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=3 CMD ["node", "/opt/opraft/docker/healthcheck.mjs"]
ENTRYPOINT ["/opt/opraft/bin/opraft", "agent"]
CMD ["-config", "/etc/opraft"]
