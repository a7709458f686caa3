// vigil's libbpf loader addon: a thin, generic binding (no policy). The TypeScript facade
// src/kernel/bpf-object.ts is its only user and documents the API.
#include "addon_data.h"
#include "bpf_object.h"
#include "errors.h"
#include "pidfd.h"

#include <bpf/libbpf.h>
#include <malloc.h>

#include <napi.h>

#include <cstring>
#include <vector>

namespace vigil {

namespace {

// Enum values are small and dense; 256 comfortably covers every type libbpf knows by name.
constexpr int kMaxTypeValue = 256;

template <typename Enum> int TypeByName(const char *(*toString)(Enum), const std::string &name) {
	for (int t = 0; t < kMaxTypeValue; t++) {
		const char *s = toString(static_cast<Enum>(t));
		if (s != nullptr && name == s)
			return t;
	}
	return -1;
}

int ProgTypeArg(const Napi::Value &value) {
	if (!value.IsString())
		throw Napi::TypeError::New(value.Env(), "program type must be a string");
	std::string name = value.As<Napi::String>().Utf8Value();
	int type = TypeByName(libbpf_bpf_prog_type_str, name);
	if (type < 0)
		throw Napi::RangeError::New(value.Env(), "unknown BPF program type '" + name + "'");
	return type;
}

// libbpf_probe_* return 1 (supported), 0 (not supported) or a negative error.
Napi::Value ProbeResult(Napi::Env env, const std::string &op, int result,
                        const LogCapture &capture) {
	if (result < 0)
		ThrowBpfError(env, op, -result, &capture);
	return Napi::Boolean::New(env, result == 1);
}

Napi::Value ProbeProgramType(const Napi::CallbackInfo &info) {
	int type = ProgTypeArg(info[0]);
	LogCapture capture;
	int result = libbpf_probe_bpf_prog_type(static_cast<bpf_prog_type>(type), nullptr);
	return ProbeResult(info.Env(), "probeProgramType", result, capture);
}

Napi::Value ProbeMapType(const Napi::CallbackInfo &info) {
	if (!info[0].IsString())
		throw Napi::TypeError::New(info.Env(), "map type must be a string");
	std::string name = info[0].As<Napi::String>().Utf8Value();
	int type = TypeByName(libbpf_bpf_map_type_str, name);
	if (type < 0)
		throw Napi::RangeError::New(info.Env(), "unknown BPF map type '" + name + "'");
	LogCapture capture;
	int result = libbpf_probe_bpf_map_type(static_cast<bpf_map_type>(type), nullptr);
	return ProbeResult(info.Env(), "probeMapType", result, capture);
}

Napi::Value ProbeHelper(const Napi::CallbackInfo &info) {
	int type = ProgTypeArg(info[0]);
	if (!info[1].IsNumber())
		throw Napi::TypeError::New(info.Env(), "helper id must be a number");
	int helper = info[1].As<Napi::Number>().Int32Value();
	LogCapture capture;
	int result = libbpf_probe_bpf_helper(static_cast<bpf_prog_type>(type),
	                                     static_cast<bpf_func_id>(helper), nullptr);
	return ProbeResult(info.Env(), "probeHelper", result, capture);
}

Napi::Value LibbpfVersion(const Napi::CallbackInfo &info) {
	return Napi::String::New(info.Env(), libbpf_version_string());
}

Napi::Value NumPossibleCpus(const Napi::CallbackInfo &info) {
	int cpus = libbpf_num_possible_cpus();
	if (cpus <= 0)
		ThrowBpfError(info.Env(), "libbpf_num_possible_cpus", -cpus);
	return Napi::Number::New(info.Env(), cpus);
}

Napi::Value SetErrorClassFn(const Napi::CallbackInfo &info) {
	if (!info[0].IsFunction())
		throw Napi::TypeError::New(info.Env(), "error class must be a constructor");
	SetErrorClass(info.Env(), info[0].As<Napi::Function>());
	return info.Env().Undefined();
}

// At environment teardown (process exit, worker end) every object is closed: links detached,
// reader threads joined, before the objects themselves are finalized.
void CloseAllObjects(Registry *registry) {
	std::vector<BpfObjectWrap *> open(registry->live.begin(), registry->live.end());
	for (BpfObjectWrap *object : open)
		object->CloseAll();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
	InstallLibbpfPrint();
	auto *data = new AddonData();
	env.SetInstanceData(data);
	env.AddCleanupHook(CloseAllObjects, data->registry.get());

	Napi::Function ctor = BpfObjectWrap::Define(env);
	data->bpfObjectCtor = Napi::Persistent(ctor);
	exports.Set("BpfObject", ctor);
	exports.Set("setErrorClass", Napi::Function::New<SetErrorClassFn>(env, "setErrorClass"));
	exports.Set("libbpfVersion", Napi::Function::New<LibbpfVersion>(env, "libbpfVersion"));
	exports.Set("numPossibleCpus",
	            Napi::Function::New<NumPossibleCpus>(env, "numPossibleCpus"));
	exports.Set("probeProgramType",
	            Napi::Function::New<ProbeProgramType>(env, "probeProgramType"));
	exports.Set("probeMapType", Napi::Function::New<ProbeMapType>(env, "probeMapType"));
	exports.Set("probeHelper", Napi::Function::New<ProbeHelper>(env, "probeHelper"));
	exports.Set("pidfdOpen", Napi::Function::New<PidfdOpen>(env, "pidfdOpen"));
	exports.Set("pidfdSendSignal",
	            Napi::Function::New<PidfdSendSignal>(env, "pidfdSendSignal"));
	return exports;
}

} // namespace

} // namespace vigil

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
	// Ring batches (up to 256 KiB) are allocated by the reader thread and freed by the garbage
	// collector on the main thread. glibc raises its mmap threshold each time such a block is
	// freed, after which they come from the thread arenas and their pages stay in the RSS after
	// a burst. A fixed threshold (glibc's own default) keeps large blocks mmap-ed: returned at
	// free().
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	return vigil::Init(env, exports);
}

NODE_API_MODULE(vigil_bpf, InitAddon)
