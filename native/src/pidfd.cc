// pidfd_open and pidfd_send_signal: Node has no API for them, and they are how the enforcement
// fallback kills a process without racing pid reuse (src/enforce/pidfd-kill.ts).
#include "pidfd.h"

#include "errors.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace vigil {

// pidfdOpen(pid) -> fd (close it with fs.closeSync).
Napi::Value PidfdOpen(const Napi::CallbackInfo &info) {
	if (!info[0].IsNumber())
		throw Napi::TypeError::New(info.Env(), "pid must be a number");
	int pid = info[0].As<Napi::Number>().Int32Value();
	if (pid <= 0)
		throw Napi::RangeError::New(info.Env(), "pid must be positive");
	long fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		ThrowBpfError(info.Env(), "pidfd_open", errno);
	return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

// pidfdSendSignal(fd, signal): signals exactly the process the pidfd was opened for.
Napi::Value PidfdSendSignal(const Napi::CallbackInfo &info) {
	if (!info[0].IsNumber() || !info[1].IsNumber())
		throw Napi::TypeError::New(info.Env(), "fd and signal must be numbers");
	int fd = info[0].As<Napi::Number>().Int32Value();
	int sig = info[1].As<Napi::Number>().Int32Value();
	if (syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) < 0)
		ThrowBpfError(info.Env(), "pidfd_send_signal", errno);
	return info.Env().Undefined();
}

} // namespace vigil
