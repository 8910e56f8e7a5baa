# outrigger container image: multi-stage build on Debian 12.
#
# Build from the repository root (the context must be the whole repo):
#   docker build -t outrigger:0.1.0 .
#
# The build stage uses the same scripts as the README (deploy/install-deps.sh and
# deploy/build.sh), so the package list lives in one place. The runtime stage carries
# only the runtime libraries, the binary and a default config.

FROM debian:bookworm-slim AS build
WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when the script changes.
COPY deploy/install-deps.sh deploy/install-deps.sh
RUN deploy/install-deps.sh --build && rm -rf /var/lib/apt/lists/*
# Only what the build reads. Copying the whole context would also bring local build*/
# directories, whose CMakeCache.txt points at another source path and breaks cmake.
COPY CMakeLists.txt ./
COPY deploy/build.sh deploy/build.sh
COPY proxy proxy
# The top-level CMakeLists.txt always adds tests/support (mock-upstream); it is
# configured but not built, because TARGETS limits the build to the daemon.
COPY tests/support tests/support
RUN TARGETS=outrigger deploy/build.sh build -DOUTRIGGER_TESTS=OFF && strip build/outrigger

FROM debian:bookworm-slim
COPY deploy/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh --runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh \
 && groupadd --system --gid 10001 outrigger \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin outrigger
COPY --from=build /src/build/outrigger /usr/local/bin/outrigger
# A default config so the image runs on its own. In Kubernetes a ConfigMap is mounted
# over /etc/outrigger (see deploy/kubernetes/).
COPY config/outrigger.yaml /etc/outrigger/outrigger.yaml
ENV OUTRIGGER_CONFIG=/etc/outrigger/outrigger.yaml
# Numeric UID, so Kubernetes can enforce runAsNonRoot without looking up a name.
USER 10001:10001
# 15001: the app's listener (loopback in the default config); 9901: admin and /metrics.
EXPOSE 15001 9901
ENTRYPOINT ["outrigger"]
