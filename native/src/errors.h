// Turning libbpf failures into JavaScript errors.
//
// libbpf reports through a global print callback; a LogCapture on the stack collects what libbpf
// prints during one addon call (on that thread), so the error thrown for the call carries libbpf's
// own explanation and, when the verifier rejected a program, the verifier log.
#pragma once

#include <napi.h>

#include <string>

namespace vigil {

class LogCapture {
      public:
	LogCapture();
	~LogCapture();
	LogCapture(const LogCapture &) = delete;
	LogCapture &operator=(const LogCapture &) = delete;

	// Lines libbpf printed at warning/info level (bounded).
	std::string log;
	// The last verifier log libbpf printed for a program that failed to load (bounded, tail
	// kept).
	std::string verifierLog;

	static LogCapture *current();

      private:
	LogCapture *prev_;
};

// Installs the libbpf print callback once per process.
void InstallLibbpfPrint();

// Remembers the BpfError class the TypeScript facade registered; errors are built from it.
void SetErrorClass(Napi::Env env, Napi::Function ctor);

// Builds the error for a failed operation. err is a positive errno or libbpf error code (>= 4000).
Napi::Error MakeBpfError(Napi::Env env, const std::string &op, int err,
                         const LogCapture *capture = nullptr);

[[noreturn]] void ThrowBpfError(Napi::Env env, const std::string &op, int err,
                                const LogCapture *capture = nullptr);

// Symbolic name for an errno or libbpf error code: "EPERM", "LIBBPF_ERRNO__FORMAT", "E123".
std::string ErrorCode(int err);

} // namespace vigil
