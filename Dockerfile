# Multi-stage build of cloudflow-emulator. Configure it with the CLOUDFLOW_* environment
# variables only (see README.md); it listens on 0.0.0.0:8080 inside the container.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# Cargo.toml names the criterion benches; cargo wants their files present.
COPY benches ./benches
# No debug info, stripped: a small image.
RUN CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=symbols \
    cargo build --release --locked --bin cloudflow-emulator

FROM debian:bookworm-slim
RUN groupadd --system --gid 10001 cloudflow \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin cloudflow
COPY --from=build /src/target/release/cloudflow-emulator /usr/local/bin/cloudflow-emulator
USER 10001:10001
ENV CLOUDFLOW_LISTEN=0.0.0.0:8080
EXPOSE 8080
# The binary checks itself (GET /_emulator/health on the CLOUDFLOW_LISTEN port): no curl needed.
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 \
  CMD ["/usr/local/bin/cloudflow-emulator", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/cloudflow-emulator"]
