# Multi-stage build on Debian bookworm.
#   docker build -t volumecli .            the runtime image: dvdcli and flockercli from the Debian
#                                          package (shared system libraries, stripped), nothing else
#   docker run --rm --privileged -v /run/docker/plugins:/run/docker/plugins \
#     -v /var/lib/dvdcli:/var/lib/dvdcli:rshared volumecli list --volumedriver=rexray
#   docker build --target static --output type=local,dest=out .
#                                          out/dvdcli, the fully static single file for CoreOS or
#                                          DC/OS agents, and out/dvdcli.sha256 (sha256sum -c)
#   docker build --target test .           the whole test suite (scripts/test.sh; tests that need
#                                          mounts skip without --privileged)

# The dependency layer: only the install script is copied first, so editing the sources does not
# reinstall the packages.
FROM debian:bookworm AS deps
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh --with-packaging \
 && rm -rf /var/lib/apt/lists/*

# The Debian packages (debian/), built as `dpkg-buildpackage -us -uc -b` builds them anywhere.
FROM deps AS packages
COPY . .
RUN dpkg-buildpackage -us -uc -b \
 && mkdir /debs \
 && mv ../*.deb /debs/

# The fully static dvdcli (VOLUMECLI_FULLY_STATIC), stripped, and its SHA-256 sum.
FROM deps AS static-build
COPY . .
RUN BUILD_DIR=/build-static BUILD_TYPE=Release scripts/build.sh -DVOLUMECLI_FULLY_STATIC=ON \
      -DVOLUMECLI_BUILD_TESTS=OFF -DVOLUMECLI_BUILD_REFERENCE_PLUGIN=OFF \
 && mkdir /out \
 && strip -o /out/dvdcli /build-static/cli/dvdcli \
 && /out/dvdcli version \
 && cd /out && sha256sum dvdcli >dvdcli.sha256

FROM scratch AS static
COPY --from=static-build /out/ /

# The test suite, on request (docker build --target test .).
FROM deps AS test
COPY . .
RUN scripts/test.sh

# The runtime image (the default target): the dvdcli package, its shared libraries and the CA
# certificates; no compiler, headers, static libraries or debugging symbols.
FROM debian:bookworm-slim
LABEL org.opencontainers.image.title="volumecli" \
      org.opencontainers.image.description="dvdcli and flockercli: mount Docker volume plugins and Flocker datasets without Docker" \
      org.opencontainers.image.version="0.3.0" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.url="https://github.com/volumecli/volumecli" \
      org.opencontainers.image.source="https://github.com/volumecli/volumecli" \
      org.opencontainers.image.vendor="volumecli developers" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"
COPY --from=packages /debs/dvdcli_*.deb /tmp/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates /tmp/dvdcli_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/dvdcli_*.deb
# Root, deliberately: mounting a volume is mount(2) (the local driver's tmpfs, bind and NFS
# mounts, and the bind mounts of `dvdcli exec`), which needs CAP_SYS_ADMIN in the host's mount
# namespace, and the plugins' sockets under /run/docker/plugins are root's. Run the container
# --privileged (or with CAP_SYS_ADMIN) and share the mount points with rshared propagation.
USER root
ENTRYPOINT ["/usr/bin/dvdcli"]
CMD ["--help"]
