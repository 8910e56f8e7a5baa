# outrigger: multi-stage build on Debian 12. The build stage uses the same install script
# and build script as the README; the runtime stage carries only runtime libraries.
FROM debian:bookworm-slim AS build
WORKDIR /src
COPY deploy/install-deps.sh deploy/install-deps.sh
RUN deploy/install-deps.sh --build && rm -rf /var/lib/apt/lists/*
COPY . .
RUN deploy/build.sh build -DOUTRIGGER_TESTS=OFF && strip build/outrigger

FROM debian:bookworm-slim
COPY deploy/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh --runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin outrigger
COPY --from=build /src/build/outrigger /usr/local/bin/outrigger
COPY config/outrigger.yaml /etc/outrigger/outrigger.yaml
ENV OUTRIGGER_CONFIG=/etc/outrigger/outrigger.yaml
USER 10001
EXPOSE 15001 9901
ENTRYPOINT ["outrigger"]
