# syntax=docker/dockerfile:1
# AsyncGrader worker image: runtimes built from Debian bookworm sources, the .NET worker, and a
# slim ASP.NET runtime image running as a non-root user. See docs/SERVICE.md.

# ---- 1. guest runtimes (runtimes/*/build.sh install their own Debian toolchains) --------------
FROM debian:bookworm AS runtimes
RUN sed -i 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates bash dpkg-dev xz-utils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY wit/ wit/
COPY runtimes/ runtimes/
RUN set -e; for b in runtimes/*/build.sh; do bash "$b"; done; \
    mkdir -p /runtimes-out; \
    for d in runtimes/*/out; do n=$(basename "$(dirname "$d")"); mkdir -p "/runtimes-out/$n"; cp -r "$d/." "/runtimes-out/$n/"; done

# ---- 2. .NET build ---------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0-bookworm-slim AS build
WORKDIR /src
COPY Directory.Build.props AsyncGrader.sln ./
COPY src/ src/
COPY migrations/ migrations/
RUN dotnet restore src/AsyncGrader.Worker/AsyncGrader.Worker.csproj --locked-mode
RUN dotnet publish src/AsyncGrader.Worker/AsyncGrader.Worker.csproj -c Release -o /app --no-restore

# ---- 3. runtime image ------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0-bookworm-slim
RUN groupadd --system --gid 10001 grader \
 && useradd --system --uid 10001 --gid grader --no-create-home --shell /usr/sbin/nologin grader \
 && mkdir -p /var/cache/asyncgrader/images && chown grader:grader /var/cache/asyncgrader/images
WORKDIR /app
COPY --from=build /app ./
COPY --from=runtimes /runtimes-out/ /opt/asyncgrader/runtimes/
ENV ASPNETCORE_URLS=http://+:8080 \
    ASYNCGRADER_RUNTIMES=/opt/asyncgrader/runtimes \
    DOTNET_gcServer=1 \
    Sandbox__ImageCacheDirectory=/var/cache/asyncgrader/images
# Runtime images (native code for this worker build, docs/ENGINE.md) are built there on first
# start (about 12 s); mount a volume on it to keep them across restarts.
VOLUME /var/cache/asyncgrader/images
USER 10001:10001
EXPOSE 8080
# `docker run IMAGE migrate` applies the database migrations and exits.
ENTRYPOINT ["dotnet", "AsyncGrader.Worker.dll"]
