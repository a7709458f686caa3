#include "bpf_object.h"

#include "addon_data.h"
#include "errors.h"
#include "object_file.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace vigil {

namespace {

constexpr size_t kMaxBatchBytes = 64u * 1024 * 1024;
constexpr int kMaxWaitMs = 60 * 1000;
constexpr size_t kMaxQueuedBatches = 4096;

std::string NameArg(const Napi::Value &value, const char *what) {
	if (!value.IsString())
		throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a string");
	return value.As<Napi::String>().Utf8Value();
}

struct Bytes {
	const uint8_t *data;
	size_t size;
};

Bytes BytesArg(const Napi::Value &value, const char *what) {
	if (!value.IsTypedArray() ||
	    value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
		throw Napi::TypeError::New(value.Env(),
		                           std::string(what) + " must be a Buffer or Uint8Array");
	Napi::Uint8Array array = value.As<Napi::Uint8Array>();
	return {array.Data(), array.ByteLength()};
}

// An optional non-negative integer property; `fallback` when absent or undefined.
double NumberOption(const Napi::Object &options, const char *key, double fallback, double max) {
	if (!options.Has(key) || options.Get(key).IsUndefined())
		return fallback;
	Napi::Value value = options.Get(key);
	if (!value.IsNumber())
		throw Napi::TypeError::New(options.Env(), std::string(key) + " must be a number");
	double n = value.As<Napi::Number>().DoubleValue();
	if (!(n >= 0 && n <= max) || n != static_cast<double>(static_cast<uint64_t>(n)))
		throw Napi::RangeError::New(options.Env(),
		                            std::string(key) + " must be an integer in 0.." +
		                                std::to_string(static_cast<uint64_t>(max)));
	return n;
}

Napi::Object OptionsArg(const Napi::CallbackInfo &info, size_t index) {
	if (info.Length() <= index || info[index].IsUndefined())
		return Napi::Object::New(info.Env());
	if (!info[index].IsObject())
		throw Napi::TypeError::New(info.Env(), "options must be an object");
	return info[index].As<Napi::Object>();
}

bool IsCgroupProgram(const bpf_program *prog) {
	switch (bpf_program__type(prog)) {
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
	case BPF_PROG_TYPE_CGROUP_DEVICE:
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
	case BPF_PROG_TYPE_SOCK_OPS:
		return true;
	default:
		return false;
	}
}

size_t RoundUp8(size_t n) {
	return (n + 7) & ~static_cast<size_t>(7);
}

} // namespace

Napi::Function BpfObjectWrap::Define(Napi::Env env) {
	return DefineClass(env, "BpfObject",
	                   {
	                       InstanceMethod<&BpfObjectWrap::Load>("load"),
	                       InstanceMethod<&BpfObjectWrap::Programs>("programs"),
	                       InstanceMethod<&BpfObjectWrap::Maps>("maps"),
	                       InstanceMethod<&BpfObjectWrap::Attach>("attach"),
	                       InstanceMethod<&BpfObjectWrap::Detach>("detach"),
	                       InstanceMethod<&BpfObjectWrap::Links>("links"),
	                       InstanceMethod<&BpfObjectWrap::OpenRingBuffer>("openRingBuffer"),
	                       InstanceMethod<&BpfObjectWrap::StopRingBuffer>("stopRingBuffer"),
	                       InstanceMethod<&BpfObjectWrap::RingBufferStats>("ringBufferStats"),
	                       InstanceMethod<&BpfObjectWrap::MapLookup>("mapLookup"),
	                       InstanceMethod<&BpfObjectWrap::MapLookupPercpu>("mapLookupPercpu"),
	                       InstanceMethod<&BpfObjectWrap::MapUpdate>("mapUpdate"),
	                       InstanceMethod<&BpfObjectWrap::MapDelete>("mapDelete"),
	                       InstanceMethod<&BpfObjectWrap::MapKeys>("mapKeys"),
	                       InstanceMethod<&BpfObjectWrap::Close>("close"),
	                       InstanceAccessor<&BpfObjectWrap::IsClosed>("closed"),
	                       InstanceAccessor<&BpfObjectWrap::IsLoaded>("loaded"),
	                   });
}

BpfObjectWrap::BpfObjectWrap(const Napi::CallbackInfo &info)
    : Napi::ObjectWrap<BpfObjectWrap>(info) {
	Napi::Env env = info.Env();
	registry_ = env.GetInstanceData<AddonData>()->registry;
	path_ = NameArg(info[0], "path");
	Napi::Object options = OptionsArg(info, 1);

	std::string btfPath;
	LIBBPF_OPTS(bpf_object_open_opts, openOpts);
	if (options.Has("btfCustomPath") && !options.Get("btfCustomPath").IsUndefined()) {
		btfPath = NameArg(options.Get("btfCustomPath"), "btfCustomPath");
		openOpts.btf_custom_path = btfPath.c_str();
	}
	// As bpf_object__open_file names it: the file name up to its first dot.
	std::string objectName = path_.substr(path_.find_last_of('/') + 1);
	objectName = objectName.substr(0, objectName.find('.'));
	openOpts.object_name = objectName.c_str();
	image_ = ReadObjectFile(env, path_);
	CheckOpenDoesNotCrash(env, path_, image_, objectName.c_str());
	LogCapture capture;
	// libbpf keeps pointing into image_, which therefore lives as long as the object.
	obj_ = bpf_object__open_mem(image_.data(), image_.size(), &openOpts);
	if (obj_ == nullptr)
		ThrowBpfError(env, "open " + path_, errno, &capture);
	registry_->live.insert(this);
	try {
		ApplyOpenOptions(env, options);
	} catch (...) {
		CloseAll();
		throw;
	}
}

BpfObjectWrap::~BpfObjectWrap() {
	CloseAll();
}

void BpfObjectWrap::ApplyOpenOptions(Napi::Env env, Napi::Object options) {
	auto entries = [&](const char *key) {
		std::vector<std::pair<std::string, Napi::Value>> out;
		if (!options.Has(key) || options.Get(key).IsUndefined())
			return out;
		if (!options.Get(key).IsObject())
			throw Napi::TypeError::New(env, std::string(key) + " must be an object");
		Napi::Object object = options.Get(key).As<Napi::Object>();
		Napi::Array names = object.GetPropertyNames();
		for (uint32_t i = 0; i < names.Length(); i++) {
			Napi::Value name = names.Get(i);
			out.emplace_back(name.As<Napi::String>().Utf8Value(), object.Get(name));
		}
		return out;
	};

	for (auto &[name, value] : entries("autoload")) {
		bpf_program *prog = FindProgram(env, "autoload", Napi::String::New(env, name));
		int err = bpf_program__set_autoload(prog, value.ToBoolean().Value());
		if (err != 0)
			ThrowBpfError(env, "autoload " + name, err);
	}
	for (auto &[name, value] : entries("mapMaxEntries")) {
		bpf_map *map = FindMap(env, "mapMaxEntries", Napi::String::New(env, name));
		if (!value.IsNumber())
			throw Napi::TypeError::New(env,
			                           "mapMaxEntries." + name + " must be a number");
		int err = bpf_map__set_max_entries(map, value.As<Napi::Number>().Uint32Value());
		if (err != 0)
			ThrowBpfError(env, "mapMaxEntries " + name, err);
	}
	Napi::Function ctor = env.GetInstanceData<AddonData>()->bpfObjectCtor.Value();
	for (auto &[name, value] : entries("reuseMaps")) {
		bpf_map *map = FindMap(env, "reuseMaps", Napi::String::New(env, name));
		if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(ctor))
			throw Napi::TypeError::New(env,
			                           "reuseMaps." + name + " must be a BpfObject");
		BpfObjectWrap *other = Unwrap(value.As<Napi::Object>());
		other->RequireOpen(env, "reuseMaps");
		bpf_map *source = other->FindMap(env, "reuseMaps", Napi::String::New(env, name));
		int fd = bpf_map__fd(source);
		if (fd < 0)
			ThrowBpfError(
			    env, "reuseMaps " + name + ": the source object is not loaded", EINVAL);
		LogCapture capture;
		int err = bpf_map__reuse_fd(map, fd);
		if (err != 0)
			ThrowBpfError(env, "reuseMaps " + name, err, &capture);
	}
}

void BpfObjectWrap::RequireOpen(Napi::Env env, const char *op) const {
	if (obj_ == nullptr)
		ThrowBpfError(env, std::string(op) + ": the object is closed", EBADF);
}

bpf_map *BpfObjectWrap::FindMap(Napi::Env env, const char *op, const Napi::Value &name) const {
	std::string mapName = NameArg(name, "map name");
	bpf_map *map = bpf_object__find_map_by_name(obj_, mapName.c_str());
	if (map == nullptr)
		ThrowBpfError(env, std::string(op) + ": no map named '" + mapName + "'", ENOENT);
	return map;
}

bpf_program *BpfObjectWrap::FindProgram(Napi::Env env, const char *op,
                                        const Napi::Value &name) const {
	std::string progName = NameArg(name, "program name");
	bpf_program *prog = bpf_object__find_program_by_name(obj_, progName.c_str());
	if (prog == nullptr)
		ThrowBpfError(env, std::string(op) + ": no program named '" + progName + "'",
		              ENOENT);
	return prog;
}

void BpfObjectWrap::StopReader() {
	if (reader_) {
		reader_->Stop();
		reader_.reset();
	}
}

void BpfObjectWrap::CloseAll() {
	StopReader();
	for (auto &[id, link] : links_)
		bpf_link__destroy(link.first);
	links_.clear();
	if (obj_ != nullptr) {
		bpf_object__close(obj_);
		obj_ = nullptr;
		image_ = std::vector<uint8_t>();
	}
	if (registry_)
		registry_->live.erase(this);
}

Napi::Value BpfObjectWrap::Load(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "load");
	LogCapture capture;
	int err = bpf_object__load(obj_);
	if (err != 0)
		ThrowBpfError(env, "load " + path_, err, &capture);
	loaded_ = true;
	return env.Undefined();
}

Napi::Value BpfObjectWrap::Programs(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "programs");
	Napi::Array out = Napi::Array::New(env);
	bpf_program *prog;
	bpf_object__for_each_program(prog, obj_) {
		Napi::Object entry = Napi::Object::New(env);
		const char *type = libbpf_bpf_prog_type_str(bpf_program__type(prog));
		entry.Set("name", bpf_program__name(prog));
		entry.Set("section", bpf_program__section_name(prog));
		entry.Set("type", type != nullptr ? type : "unknown");
		entry.Set("autoload", bpf_program__autoload(prog));
		int fd = bpf_program__fd(prog);
		entry.Set("loaded", fd >= 0);
		// The kernel's id, as bpftool shows it.
		bpf_prog_info progInfo = {};
		__u32 infoLen = sizeof(progInfo);
		bool known = fd >= 0 && bpf_obj_get_info_by_fd(fd, &progInfo, &infoLen) == 0;
		entry.Set("id",
		          known ? Napi::Value(Napi::Number::New(env, progInfo.id)) : env.Null());
		out.Set(out.Length(), entry);
	}
	return out;
}

Napi::Value BpfObjectWrap::Maps(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "maps");
	Napi::Array out = Napi::Array::New(env);
	bpf_map *map;
	bpf_object__for_each_map(map, obj_) {
		Napi::Object entry = Napi::Object::New(env);
		const char *type = libbpf_bpf_map_type_str(bpf_map__type(map));
		entry.Set("name", bpf_map__name(map));
		entry.Set("type", type != nullptr ? type : "unknown");
		entry.Set("keySize", bpf_map__key_size(map));
		entry.Set("valueSize", bpf_map__value_size(map));
		entry.Set("maxEntries", bpf_map__max_entries(map));
		out.Set(out.Length(), entry);
	}
	return out;
}

Napi::Value BpfObjectWrap::Attach(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "attach");
	bpf_program *prog = FindProgram(env, "attach", info[0]);
	std::string name = bpf_program__name(prog);
	Napi::Object options = OptionsArg(info, 1);
	std::string cgroupPath;
	if (options.Has("cgroupPath") && !options.Get("cgroupPath").IsUndefined())
		cgroupPath = NameArg(options.Get("cgroupPath"), "cgroupPath");
	std::string op = "attach " + name;
	if (bpf_program__fd(prog) < 0)
		ThrowBpfError(env, op + ": the program is not loaded", EINVAL);

	LogCapture capture;
	bpf_link *link;
	if (IsCgroupProgram(prog)) {
		if (cgroupPath.empty())
			ThrowBpfError(env, op + ": a cgroup program needs cgroupPath", EINVAL);
		int fd = open(cgroupPath.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			ThrowBpfError(env, op + ": open " + cgroupPath, errno);
		// The link holds its own reference to the cgroup; the descriptor is not needed
		// after.
		link = bpf_program__attach_cgroup(prog, fd);
		int err = errno;
		close(fd);
		if (link == nullptr)
			ThrowBpfError(env, op + " to " + cgroupPath, err, &capture);
	} else {
		if (!cgroupPath.empty())
			ThrowBpfError(
			    env,
			    op + ": cgroupPath given for a program that is not a cgroup program",
			    EINVAL);
		link = bpf_program__attach(prog);
		if (link == nullptr)
			ThrowBpfError(env, op + " (" + bpf_program__section_name(prog) + ")", errno,
			              &capture);
	}
	uint32_t id = nextLinkId_++;
	links_[id] = {link, name};
	return Napi::Number::New(env, id);
}

Napi::Value BpfObjectWrap::Detach(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "detach");
	if (!info[0].IsNumber())
		throw Napi::TypeError::New(env, "link id must be a number");
	uint32_t id = info[0].As<Napi::Number>().Uint32Value();
	auto it = links_.find(id);
	if (it == links_.end())
		ThrowBpfError(env, "detach: no link " + std::to_string(id), ENOENT);
	LogCapture capture;
	int err = bpf_link__destroy(it->second.first);
	links_.erase(it);
	if (err != 0)
		ThrowBpfError(env, "detach " + std::to_string(id), err, &capture);
	return env.Undefined();
}

Napi::Value BpfObjectWrap::Links(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "links");
	Napi::Array out = Napi::Array::New(env);
	for (auto &[id, link] : links_) {
		Napi::Object entry = Napi::Object::New(env);
		entry.Set("id", id);
		entry.Set("program", link.second);
		out.Set(out.Length(), entry);
	}
	return out;
}

Napi::Value BpfObjectWrap::OpenRingBuffer(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "openRingBuffer");
	bpf_map *map = FindMap(env, "openRingBuffer", info[0]);
	std::string op = std::string("openRingBuffer ") + bpf_map__name(map);
	if (!info[1].IsFunction())
		throw Napi::TypeError::New(env, "onBatch must be a function");
	Napi::Object options = OptionsArg(info, 2);
	RingReaderOptions readerOptions;
	readerOptions.batchBytes = static_cast<size_t>(
	    NumberOption(options, "batchBytes", static_cast<double>(readerOptions.batchBytes),
	                 static_cast<double>(kMaxBatchBytes)));
	readerOptions.maxWaitMs = static_cast<int>(
	    NumberOption(options, "maxWaitMs", readerOptions.maxWaitMs, kMaxWaitMs));
	readerOptions.maxQueuedBatches = static_cast<size_t>(NumberOption(
	    options, "maxQueuedBatches", static_cast<double>(readerOptions.maxQueuedBatches),
	    static_cast<double>(kMaxQueuedBatches)));
	if (options.Has("flushWhenIdle") && !options.Get("flushWhenIdle").IsUndefined()) {
		if (!options.Get("flushWhenIdle").IsBoolean())
			throw Napi::TypeError::New(env, "flushWhenIdle must be a boolean");
		readerOptions.flushWhenIdle =
		    options.Get("flushWhenIdle").As<Napi::Boolean>().Value();
	}
	if (readerOptions.maxQueuedBatches == 0)
		throw Napi::RangeError::New(env, "maxQueuedBatches must be at least 1");

	if (bpf_map__type(map) != BPF_MAP_TYPE_RINGBUF)
		ThrowBpfError(env, op + ": not a ring buffer map", EINVAL);
	int fd = bpf_map__fd(map);
	if (fd < 0)
		ThrowBpfError(env, op + ": the object is not loaded", EINVAL);
	if (reader_ && !reader_->Finished())
		ThrowBpfError(env, op + ": a ring buffer reader is already running", EBUSY);
	StopReader();
	reader_ = RingReader::Start(env, fd, info[1].As<Napi::Function>(), readerOptions);
	return env.Undefined();
}

Napi::Value BpfObjectWrap::StopRingBuffer(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	if (!reader_) {
		Napi::Promise::Deferred done = Napi::Promise::Deferred::New(env);
		done.Resolve(env.Undefined());
		return done.Promise();
	}
	return reader_->Drain(env);
}

Napi::Value BpfObjectWrap::RingBufferStats(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "ringBufferStats");
	return reader_ ? Napi::Value(reader_->Stats(env)) : env.Null();
}

Napi::Value BpfObjectWrap::MapLookup(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "mapLookup");
	bpf_map *map = FindMap(env, "mapLookup", info[0]);
	Bytes key = BytesArg(info[1], "key");
	std::string op = std::string("mapLookup ") + bpf_map__name(map);
	if (bpf_map__fd(map) < 0)
		ThrowBpfError(env, op + ": the object is not loaded", EINVAL);
	size_t size = bpf_map__value_size(map);
	Napi::Buffer<uint8_t> value = Napi::Buffer<uint8_t>::New(env, size);
	LogCapture capture;
	int err = bpf_map__lookup_elem(map, key.data, key.size, value.Data(), size, 0);
	if (err == -ENOENT)
		return env.Null();
	if (err != 0)
		ThrowBpfError(env, op, err, &capture);
	return value;
}

Napi::Value BpfObjectWrap::MapLookupPercpu(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "mapLookupPercpu");
	bpf_map *map = FindMap(env, "mapLookupPercpu", info[0]);
	Bytes key = BytesArg(info[1], "key");
	std::string op = std::string("mapLookupPercpu ") + bpf_map__name(map);
	if (bpf_map__fd(map) < 0)
		ThrowBpfError(env, op + ": the object is not loaded", EINVAL);
	int cpus = libbpf_num_possible_cpus();
	if (cpus <= 0)
		ThrowBpfError(env, op + ": libbpf_num_possible_cpus", -cpus);
	size_t size = bpf_map__value_size(map);
	size_t stride = RoundUp8(size);
	std::vector<uint8_t> values(stride * static_cast<size_t>(cpus));
	LogCapture capture;
	int err = bpf_map__lookup_elem(map, key.data, key.size, values.data(), values.size(), 0);
	if (err == -ENOENT)
		return env.Null();
	if (err != 0)
		ThrowBpfError(env, op, err, &capture);
	Napi::Array out = Napi::Array::New(env, static_cast<size_t>(cpus));
	for (int cpu = 0; cpu < cpus; cpu++)
		out.Set(cpu, Napi::Buffer<uint8_t>::Copy(env, values.data() + cpu * stride, size));
	return out;
}

Napi::Value BpfObjectWrap::MapUpdate(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "mapUpdate");
	bpf_map *map = FindMap(env, "mapUpdate", info[0]);
	Bytes key = BytesArg(info[1], "key");
	Bytes value = BytesArg(info[2], "value");
	uint64_t flags = 0;
	if (info.Length() > 3 && !info[3].IsUndefined()) {
		if (!info[3].IsNumber())
			throw Napi::TypeError::New(env, "flags must be a number");
		flags = static_cast<uint64_t>(info[3].As<Napi::Number>().Int64Value());
	}
	std::string op = std::string("mapUpdate ") + bpf_map__name(map);
	if (bpf_map__fd(map) < 0)
		ThrowBpfError(env, op + ": the object is not loaded", EINVAL);
	LogCapture capture;
	int err = bpf_map__update_elem(map, key.data, key.size, value.data, value.size, flags);
	if (err != 0)
		ThrowBpfError(env, op, err, &capture);
	return env.Undefined();
}

Napi::Value BpfObjectWrap::MapDelete(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "mapDelete");
	bpf_map *map = FindMap(env, "mapDelete", info[0]);
	Bytes key = BytesArg(info[1], "key");
	std::string op = std::string("mapDelete ") + bpf_map__name(map);
	if (bpf_map__fd(map) < 0)
		ThrowBpfError(env, op + ": the object is not loaded", EINVAL);
	LogCapture capture;
	int err = bpf_map__delete_elem(map, key.data, key.size, 0);
	if (err == -ENOENT)
		return Napi::Boolean::New(env, false);
	if (err != 0)
		ThrowBpfError(env, op, err, &capture);
	return Napi::Boolean::New(env, true);
}

Napi::Value BpfObjectWrap::MapKeys(const Napi::CallbackInfo &info) {
	Napi::Env env = info.Env();
	RequireOpen(env, "mapKeys");
	bpf_map *map = FindMap(env, "mapKeys", info[0]);
	std::string op = std::string("mapKeys ") + bpf_map__name(map);
	uint32_t limit = bpf_map__max_entries(map);
	if (info.Length() > 1 && !info[1].IsUndefined()) {
		if (!info[1].IsNumber())
			throw Napi::TypeError::New(env, "limit must be a number");
		limit = std::min(limit, info[1].As<Napi::Number>().Uint32Value());
	}
	if (bpf_map__fd(map) < 0)
		ThrowBpfError(env, op + ": the object is not loaded", EINVAL);
	size_t keySize = bpf_map__key_size(map);
	std::vector<uint8_t> prev(keySize), next(keySize);
	Napi::Array out = Napi::Array::New(env);
	LogCapture capture;
	for (uint32_t i = 0; i < limit; i++) {
		int err = bpf_map__get_next_key(map, i == 0 ? nullptr : prev.data(), next.data(),
		                                keySize);
		if (err == -ENOENT)
			break;
		if (err != 0)
			ThrowBpfError(env, op, err, &capture);
		out.Set(i, Napi::Buffer<uint8_t>::Copy(env, next.data(), keySize));
		prev.swap(next);
	}
	return out;
}

Napi::Value BpfObjectWrap::Close(const Napi::CallbackInfo &info) {
	CloseAll();
	return info.Env().Undefined();
}

Napi::Value BpfObjectWrap::IsClosed(const Napi::CallbackInfo &info) {
	return Napi::Boolean::New(info.Env(), obj_ == nullptr);
}

Napi::Value BpfObjectWrap::IsLoaded(const Napi::CallbackInfo &info) {
	return Napi::Boolean::New(info.Env(), loaded_ && obj_ != nullptr);
}

} // namespace vigil
