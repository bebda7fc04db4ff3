# Multi-stage build on Debian bookworm. The build stage runs the same install script as the
# README and the test suite; dvdcli is fully static by default (VOLUMECLI_FULLY_STATIC), so the
# final image holds only the tools and the CA certificates.
#   docker build -t volumecli .
#   docker run --rm -v /run/docker/plugins:/run/docker/plugins volumecli list --volumedriver=rexray
# The fully static dvdcli alone, one file to copy onto CoreOS or DC/OS agents:
#   docker build --target static --output type=local,dest=out .     # writes out/dvdcli
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps.sh --with-tests \
 && BUILD_DIR=/build BUILD_TYPE=Release scripts/build.sh -DVOLUMECLI_WERROR=ON -DVOLUMECLI_BUILD_TESTS=ON \
 && ctest --test-dir /build --output-on-failure -j2 \
 && DESTDIR=/install cmake --install /build --prefix /usr
RUN strip -o /dvdcli-static /build/cli/dvdcli \
 && /dvdcli-static version

FROM scratch AS static
COPY --from=build /dvdcli-static /dvdcli

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /install/usr/ /usr/
ENTRYPOINT ["/usr/bin/dvdcli"]
CMD ["--help"]
