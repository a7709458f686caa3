# vigil container image. Two stages:
#   build:   Debian 12 + Node 20 + clang/libbpf-dev/bpftool; builds the BPF objects, the libbpf
#            addon and the TypeScript, then drops dev dependencies.
#   runtime: Node 20 slim + libbpf1; only what `vigil run` loads. Runs as root: loading BPF
#            programs needs CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN (mounts, cgroup attach) and more;
#            the capabilities themselves are granted by the runtime (deploy/kubernetes/daemonset.yaml,
#            `docker run --cap-add ...`, see docs/deploy.md), not by the image.
#
# Build: docker build -t vigil:0.1.0 .
# The BPF objects are CO-RE: built once, they load on any kernel with BTF (/sys/kernel/btf/vmlinux).

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool make g++ python3 pkg-config \
 && rm -rf /var/lib/apt/lists/*
# node-gyp builds the addon against the headers of the running Node (the Makefile passes
# --nodedir=/usr, where Debian's nodejs keeps them; this image keeps them under /usr/local).
RUN ln -s /usr/local/include/node /usr/include/node
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# vmlinux.h comes from the build host's BTF (/sys/kernel/btf/vmlinux, visible to RUN steps); CO-RE
# relocates the objects to the kernel they are loaded on.
RUN make bpf native ts \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libbpf1 libelf1 zlib1g ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/vigil
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/build/bpf/*.bpf.o ./build/bpf/
COPY --from=build /src/native/build/Release/vigil_bpf.node ./native/build/Release/vigil_bpf.node
COPY --from=build /src/rules ./rules
COPY --from=build /src/proto ./proto
# vigil hub's web console (static files it serves).
COPY --from=build /src/src/hub/console ./src/hub/console
# Mount points for the configuration, custom rules and the alert store (see deploy/kubernetes/).
RUN mkdir -p /etc/vigil/config /etc/vigil/rules.d /var/lib/vigil \
 && chmod 0755 /etc/vigil /etc/vigil/config /etc/vigil/rules.d \
 && chmod 0700 /var/lib/vigil
ENV NODE_ENV=production
USER root
EXPOSE 9476
ENTRYPOINT ["node", "--max-semi-space-size=2", "/opt/vigil/bin/vigil.js"]
CMD ["run", "--config", "/etc/vigil/config/vigil.yaml", "--json"]
