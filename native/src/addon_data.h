// Per-environment state of the addon (one per Node environment: main thread or worker).
#pragma once

#include <napi.h>

#include <memory>
#include <unordered_set>

namespace vigil {

class BpfObjectWrap;

// Open objects, closed by the environment cleanup hook so no program outlives the environment.
// Shared with every object, since objects and the instance data are finalized in no fixed order.
struct Registry {
	std::unordered_set<BpfObjectWrap *> live;
};

struct AddonData {
	// The facade's BpfError class, or empty until the facade registers it.
	Napi::FunctionReference errorClass;
	Napi::FunctionReference bpfObjectCtor;
	std::shared_ptr<Registry> registry = std::make_shared<Registry>();
};

} // namespace vigil
