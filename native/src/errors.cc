#include "errors.h"

#include "addon_data.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace vigil {

namespace {

thread_local LogCapture *tCurrent = nullptr;

// Bounds: libbpf's own lines are short; a verifier log can reach megabytes and its end says why.
constexpr size_t kMaxLog = 64 * 1024;
constexpr size_t kMaxVerifierLog = 1024 * 1024;
constexpr size_t kMaxLogInMessage = 4 * 1024;

constexpr char kBeginLog[] = "-- BEGIN PROG LOAD LOG --\n";
constexpr char kEndLog[] = "-- END PROG LOAD LOG --";

std::string Format(const char *fmt, va_list args) {
	va_list copy;
	va_copy(copy, args);
	int n = vsnprintf(nullptr, 0, fmt, copy);
	va_end(copy);
	if (n <= 0)
		return std::string();
	std::string out(static_cast<size_t>(n), '\0');
	vsnprintf(out.data(), out.size() + 1, fmt, args);
	return out;
}

void AppendBounded(std::string &dst, const std::string &line) {
	if (dst.size() >= kMaxLog)
		return;
	dst.append(line, 0, kMaxLog - dst.size());
}

int PrintToCapture(enum libbpf_print_level level, const char *fmt, va_list args) {
	LogCapture *capture = tCurrent;
	if (capture == nullptr) {
		// Outside an addon call (e.g. the ring reader thread) only warnings are worth
		// stderr.
		return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	std::string text = Format(fmt, args);
	if (strstr(fmt, "BEGIN PROG LOAD LOG") != nullptr) {
		size_t begin = text.find(kBeginLog);
		size_t end = text.rfind(kEndLog);
		if (begin != std::string::npos && end != std::string::npos && end > begin) {
			begin += sizeof(kBeginLog) - 1;
			std::string log = text.substr(begin, end - begin);
			if (log.size() > kMaxVerifierLog)
				log.erase(0, log.size() - kMaxVerifierLog);
			capture->verifierLog = std::move(log);
			AppendBounded(capture->log,
			              text.substr(0, begin - (sizeof(kBeginLog) - 1)) +
			                  "(verifier log: see verifierLog)\n");
			return 0;
		}
	}
	AppendBounded(capture->log, text);
	return 0;
}

std::string Trim(const std::string &s) {
	size_t end = s.find_last_not_of(" \n\t");
	return end == std::string::npos ? std::string() : s.substr(0, end + 1);
}

const char *LibbpfCodeName(int err) {
	switch (err) {
	case LIBBPF_ERRNO__LIBELF:
		return "LIBBPF_ERRNO__LIBELF";
	case LIBBPF_ERRNO__FORMAT:
		return "LIBBPF_ERRNO__FORMAT";
	case LIBBPF_ERRNO__KVERSION:
		return "LIBBPF_ERRNO__KVERSION";
	case LIBBPF_ERRNO__ENDIAN:
		return "LIBBPF_ERRNO__ENDIAN";
	case LIBBPF_ERRNO__INTERNAL:
		return "LIBBPF_ERRNO__INTERNAL";
	case LIBBPF_ERRNO__RELOC:
		return "LIBBPF_ERRNO__RELOC";
	case LIBBPF_ERRNO__LOAD:
		return "LIBBPF_ERRNO__LOAD";
	case LIBBPF_ERRNO__VERIFY:
		return "LIBBPF_ERRNO__VERIFY";
	case LIBBPF_ERRNO__PROG2BIG:
		return "LIBBPF_ERRNO__PROG2BIG";
	case LIBBPF_ERRNO__KVER:
		return "LIBBPF_ERRNO__KVER";
	case LIBBPF_ERRNO__PROGTYPE:
		return "LIBBPF_ERRNO__PROGTYPE";
	case LIBBPF_ERRNO__WRNGPID:
		return "LIBBPF_ERRNO__WRNGPID";
	case LIBBPF_ERRNO__INVSEQ:
		return "LIBBPF_ERRNO__INVSEQ";
	case LIBBPF_ERRNO__NLPARSE:
		return "LIBBPF_ERRNO__NLPARSE";
	default:
		return nullptr;
	}
}

std::string Describe(int err) {
	if (err >= __LIBBPF_ERRNO__START) {
		char buf[256];
		libbpf_strerror(err, buf, sizeof(buf));
		return buf;
	}
	return strerror(err);
}

} // namespace

LogCapture::LogCapture() : prev_(tCurrent) {
	tCurrent = this;
}

LogCapture::~LogCapture() {
	tCurrent = prev_;
}

LogCapture *LogCapture::current() {
	return tCurrent;
}

void InstallLibbpfPrint() {
	libbpf_set_print(PrintToCapture);
}

void SetErrorClass(Napi::Env env, Napi::Function ctor) {
	env.GetInstanceData<AddonData>()->errorClass = Napi::Persistent(ctor);
}

std::string ErrorCode(int err) {
	if (const char *name = LibbpfCodeName(err))
		return name;
	if (const char *name = strerrorname_np(err))
		return name;
	return "E" + std::to_string(err);
}

Napi::Error MakeBpfError(Napi::Env env, const std::string &op, int err, const LogCapture *capture) {
	if (err < 0)
		err = -err;
	if (err == 0)
		err = EINVAL; // a failure without errno still needs a number callers can switch on
	std::string libbpfLog = capture != nullptr ? Trim(capture->log) : std::string();
	std::string message = op + ": " + Describe(err) + " (" + ErrorCode(err) + ")";
	if (!libbpfLog.empty()) {
		std::string tail = libbpfLog.size() > kMaxLogInMessage
		                       ? libbpfLog.substr(libbpfLog.size() - kMaxLogInMessage)
		                       : libbpfLog;
		message += "\n" + tail;
	}

	Napi::Object details = Napi::Object::New(env);
	details.Set("errno", err);
	details.Set("code", ErrorCode(err));
	details.Set("op", op);
	details.Set("libbpfLog", libbpfLog);
	if (capture != nullptr && !capture->verifierLog.empty())
		details.Set("verifierLog", capture->verifierLog);

	AddonData *data = env.GetInstanceData<AddonData>();
	if (data != nullptr && !data->errorClass.IsEmpty()) {
		Napi::Object error =
		    data->errorClass.New({Napi::String::New(env, message), details});
		return Napi::Error(env, error);
	}
	Napi::Error error = Napi::Error::New(env, message);
	Napi::Object value = error.Value();
	for (const char *key : {"errno", "code", "op", "libbpfLog", "verifierLog"}) {
		if (details.Has(key))
			value.Set(key, details.Get(key));
	}
	return error;
}

void ThrowBpfError(Napi::Env env, const std::string &op, int err, const LogCapture *capture) {
	throw MakeBpfError(env, op, err, capture);
}

} // namespace vigil
