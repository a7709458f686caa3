// Reading a BPF object file safely. libbpf 1.1 (Debian 12) can crash on a corrupt .BTF section
// while opening an object, so the bytes are first opened by libbpf in a forked child: only when
// that child survives does the addon open the very same bytes (no re-read, no race) itself.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vigil {

// The whole file (bounded size). Throws BpfError (ENOENT, EISDIR, EFBIG, ...).
std::vector<uint8_t> ReadObjectFile(Napi::Env env, const std::string &path);

// Throws BpfError (LIBBPF_ERRNO__FORMAT) when libbpf crashes opening these bytes in a child
// process; returns normally otherwise (including when libbpf reports an ordinary error, which the
// caller then gets, with libbpf's message, from its own open, and when fork itself fails).
void CheckOpenDoesNotCrash(Napi::Env env, const std::string &path,
                           const std::vector<uint8_t> &image, const char *objectName);

} // namespace vigil
