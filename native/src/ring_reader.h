// One BPF ring buffer read on its own thread and handed to JavaScript in batches.
//
// Each sample is copied into the current batch framed as [u32 length][u32 0][bytes][pad to 8].
// A batch goes to JavaScript (one zero-copy Buffer per batch) when the next record would not fit
// in batchBytes or maxWaitMs after its first record, and with flushWhenIdle also as soon as the
// ring is read dry while JavaScript has no batch left to handle: batches are as large as
// JavaScript's backlog makes them, and a record never waits in the reader for a deadline while
// JavaScript is idle (alert latency). At most maxQueuedBatches wait for JavaScript; beyond that the
// reader blocks, the kernel ring fills and the kernel counts the drops, so the addon's memory stays
// bounded.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

namespace vigil {

struct RingReaderOptions {
	size_t batchBytes = 256 * 1024;
	int maxWaitMs = 5;
	size_t maxQueuedBatches = 64;
	bool flushWhenIdle = false;
};

struct RingReaderState;

class RingReader {
      public:
	// Starts the reader thread on a loaded BPF_MAP_TYPE_RINGBUF map. Throws BpfError on
	// failure.
	static std::unique_ptr<RingReader> Start(Napi::Env env, int mapFd, Napi::Function onBatch,
	                                         const RingReaderOptions &options);
	~RingReader();
	RingReader(const RingReader &) = delete;
	RingReader &operator=(const RingReader &) = delete;

	// Graceful: the thread reads what is left in the ring, delivers every batch, then the
	// returned promise resolves (main thread only).
	Napi::Promise Drain(Napi::Env env);
	// Immediate: undelivered batches are dropped; the thread is joined before returning.
	void Stop();
	// True once the thread has ended (drained, stopped, or failed).
	bool Finished() const;
	Napi::Object Stats(Napi::Env env) const;

      private:
	explicit RingReader(std::shared_ptr<RingReaderState> state);
	std::shared_ptr<RingReaderState> state_;
};

} // namespace vigil
