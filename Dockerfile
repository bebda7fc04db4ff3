# Multi-stage build on Debian bookworm. The build stage runs the same install script as the
# README and the test suite; the final image holds only the tools and their runtime libraries.
#   docker build -t volumecli .
#   docker run --rm -v /run/docker/plugins:/run/docker/plugins volumecli list --volumedriver=rexray
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps.sh --with-tests \
 && BUILD_DIR=/build BUILD_TYPE=Release scripts/build.sh -DVOLUMECLI_WERROR=ON -DVOLUMECLI_BUILD_TESTS=ON \
 && ctest --test-dir /build --output-on-failure -j2 \
 && DESTDIR=/install cmake --install /build --prefix /usr

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libspdlog1.10 libfmt9 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /install/usr/ /usr/
ENTRYPOINT ["/usr/bin/dvdcli"]
CMD ["--help"]
