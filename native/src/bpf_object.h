// One BPF object file: open, load, attach, maps, ring buffer, close (JavaScript class BpfObject).
#pragma once

#include "ring_reader.h"

#include <napi.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct bpf_object;
struct bpf_link;
struct bpf_map;
struct bpf_program;

namespace vigil {

struct Registry;

class BpfObjectWrap : public Napi::ObjectWrap<BpfObjectWrap> {
      public:
	static Napi::Function Define(Napi::Env env);

	// new BpfObject(path, { autoload, mapMaxEntries, btfCustomPath, reuseMaps }): opened, not
	// loaded.
	explicit BpfObjectWrap(const Napi::CallbackInfo &info);
	~BpfObjectWrap() override;

	// Detaches every link, stops the ring reader, closes the object. Idempotent.
	void CloseAll();

      private:
	Napi::Value Load(const Napi::CallbackInfo &info);
	Napi::Value Programs(const Napi::CallbackInfo &info);
	Napi::Value Maps(const Napi::CallbackInfo &info);
	Napi::Value Attach(const Napi::CallbackInfo &info);
	Napi::Value Detach(const Napi::CallbackInfo &info);
	Napi::Value Links(const Napi::CallbackInfo &info);
	Napi::Value OpenRingBuffer(const Napi::CallbackInfo &info);
	Napi::Value StopRingBuffer(const Napi::CallbackInfo &info);
	Napi::Value RingBufferStats(const Napi::CallbackInfo &info);
	Napi::Value MapLookup(const Napi::CallbackInfo &info);
	Napi::Value MapLookupPercpu(const Napi::CallbackInfo &info);
	Napi::Value MapUpdate(const Napi::CallbackInfo &info);
	Napi::Value MapDelete(const Napi::CallbackInfo &info);
	Napi::Value MapKeys(const Napi::CallbackInfo &info);
	Napi::Value Close(const Napi::CallbackInfo &info);
	Napi::Value IsClosed(const Napi::CallbackInfo &info);
	Napi::Value IsLoaded(const Napi::CallbackInfo &info);

	void ApplyOpenOptions(Napi::Env env, Napi::Object options);
	void RequireOpen(Napi::Env env, const char *op) const;
	bpf_map *FindMap(Napi::Env env, const char *op, const Napi::Value &name) const;
	bpf_program *FindProgram(Napi::Env env, const char *op, const Napi::Value &name) const;
	void StopReader();

	std::shared_ptr<Registry> registry_;
	std::string path_;
	std::vector<uint8_t> image_;
	bpf_object *obj_ = nullptr;
	bool loaded_ = false;
	std::map<uint32_t, std::pair<bpf_link *, std::string>> links_;
	uint32_t nextLinkId_ = 1;
	std::unique_ptr<RingReader> reader_;
};

} // namespace vigil
