#include "ring_reader.h"

#include "errors.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

namespace vigil {

namespace {

constexpr int kRun = 0;
constexpr int kDrain = 1;
constexpr int kAbort = 2;
// A safety net only: every wakeup of a thread costs CPU (the timer and the switch), so an idle
// reader must not poll often. A record that does not wake the reader is one its CPU wrote within
// 1 ms of a record that did (bpf/include/vg_record.h), so the one poll after data below picks it
// up.
constexpr int kIdlePollMs = 50;
// After a read that found records, the reader reads once more this much later: it catches the
// records their producers did not wake it for (written up to 1 ms after one that did).
constexpr int kActivePollMs = 2;
constexpr uint64_t kActiveHoldNs = kActivePollMs * 1000000ull;
// With flushWhenIdle the reader does not listen to the ring while it holds a batch that is not
// due: it reads the ring when the batch is due (or JavaScript turns idle) anyway, and each producer
// wakeup in between was a wasted wakeup of this thread (about one per fork+exec). Only for rings
// this large, which 5 ms of records at any rate the probes reach do not fill.
constexpr size_t kMuteMinRingBytes = 4u << 20;
// flushWhenIdle hands a batch over once it is this old, not at once: every handover wakes the
// JavaScript thread, and at a few thousand events/s handing over each poll's two or three records
// costs the agent more than the records do.
constexpr uint64_t kIdleFlushMinNs = 2000000ull;
// The clock is read once per this many records while the ring keeps producing.
constexpr uint32_t kClockEvery = 64;
constexpr size_t kFrameHeader = 8;
constexpr size_t kFirstBatchBytes = 16384;

struct Batch {
	uint8_t *data;
	size_t len;
	size_t cap;
	uint64_t records;
};

uint64_t NowNs() {
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void FreeBatch(Batch *batch) {
	free(batch->data);
	delete batch;
}

} // namespace

void CallJs(Napi::Env env, Napi::Function onBatch, RingReaderState *state, Batch *batch);

using Tsfn = Napi::TypedThreadSafeFunction<RingReaderState, Batch, CallJs>;

struct RingReaderState {
	RingReaderOptions options;
	// The ring, mapped by hand rather than with libbpf's ring_buffer: libbpf maps the data
	// pages twice (so a record that wraps reads as one piece), which counts the ring twice in
	// the agent's RSS. Here they are mapped once and a
	// wrapping record is copied in two pieces.
	int mapFd = -1;
	size_t pageSize = 0;
	size_t dataSize = 0;
	void *consumerPage = MAP_FAILED; // read-write: the consumer position
	void *producerArea = MAP_FAILED; // read-only: the producer position page, then the data
	int epollFd = -1;
	int wakeFd = -1;
	Tsfn tsfn;
	std::thread thread;
	std::atomic<int> request{kRun};
	std::atomic<bool> finished{false};
	std::atomic<uint64_t> records{0};
	std::atomic<uint64_t> batches{0};
	std::atomic<uint64_t> bytes{0};
	std::atomic<uint64_t> stalls{0};
	std::atomic<int> error{0};
	// Batches handed to JavaScript and not yet returned from its callback, and whether the
	// reader holds an open batch: with flushWhenIdle, whichever side sees the other idle hands
	// it over.
	std::atomic<uint32_t> inflight{0};
	std::atomic<bool> holding{false};
	// Reader thread only.
	Batch *current = nullptr;
	uint64_t deadlineNs = 0;
	uint64_t openedNs = 0;
	uint32_t sinceClock = 0;
	uint64_t lastDataNs = 0;
	// Main thread only.
	bool finalized = false;
	std::vector<Napi::Promise::Deferred> drains;

	~RingReaderState() {
		if (current != nullptr)
			FreeBatch(current);
		if (consumerPage != MAP_FAILED)
			munmap(consumerPage, pageSize);
		if (producerArea != MAP_FAILED)
			munmap(producerArea, pageSize + dataSize);
		if (epollFd >= 0)
			close(epollFd);
		if (wakeFd >= 0)
			close(wakeFd);
	}

	void Wake() {
		uint64_t one = 1;
		ssize_t n = write(wakeFd, &one, sizeof(one));
		(void)n; // a full eventfd counter is already a pending wakeup
	}
};

void CallJs(Napi::Env env, Napi::Function onBatch, RingReaderState *s, Batch *batch) {
	if (env == nullptr || onBatch.IsEmpty()) {
		FreeBatch(batch); // torn down: nobody will read it
		return;
	}
	Napi::Buffer<uint8_t> buffer = Napi::Buffer<uint8_t>::New(
	    env, batch->data, batch->len, [](Napi::Env, uint8_t *data) { free(data); });
	delete batch;
	try {
		onBatch.Call({buffer});
	} catch (const Napi::Error &e) {
		// Leave it pending: Node reports it as an uncaught exception, as for any callback.
		e.ThrowAsJavaScriptException();
	}
	// JavaScript is idle now: the records the reader gathered meanwhile need not wait for a
	// deadline.
	if (s->inflight.fetch_sub(1) == 1 && s->options.flushWhenIdle && s->holding.load())
		s->Wake();
}

namespace {

// Hands the current batch to JavaScript; false when the reader must stop.
bool Flush(RingReaderState *s) {
	Batch *batch = s->current;
	if (batch == nullptr)
		return true;
	s->current = nullptr;
	s->holding = false;
	if (batch->len < batch->cap / 2) {
		if (void *smaller = realloc(batch->data, batch->len)) {
			batch->data = static_cast<uint8_t *>(smaller);
			batch->cap = batch->len;
		}
	}
	size_t len = batch->len;
	uint64_t records = batch->records;
	s->inflight.fetch_add(1);
	napi_status status = s->tsfn.NonBlockingCall(batch);
	if (status == napi_queue_full) {
		s->stalls.fetch_add(1, std::memory_order_relaxed);
		status = s->tsfn.BlockingCall(batch);
	}
	if (status != napi_ok) {
		s->inflight.fetch_sub(1);
		FreeBatch(batch);
		return false;
	}
	s->batches.fetch_add(1, std::memory_order_relaxed);
	s->bytes.fetch_add(len, std::memory_order_relaxed);
	s->records.fetch_add(records, std::memory_order_relaxed);
	return true;
}

// Appends one record, given as up to two pieces (a record that wraps around the end of the ring).
int OnSample(RingReaderState *s, const uint8_t *first, size_t firstLen, const uint8_t *second,
             size_t secondLen) {
	size_t size = firstLen + secondLen;
	size_t framed = kFrameHeader + ((size + 7) & ~static_cast<size_t>(7));
	if (s->current != nullptr && s->current->len + framed > s->current->cap) {
		Batch *batch = s->current;
		size_t cap = batch->cap;
		while (cap < batch->len + framed && cap < s->options.batchBytes)
			cap = cap * 2 < s->options.batchBytes ? cap * 2 : s->options.batchBytes;
		void *grown = cap >= batch->len + framed ? realloc(batch->data, cap) : nullptr;
		if (grown != nullptr) {
			batch->data = static_cast<uint8_t *>(grown);
			batch->cap = cap;
		} else if (!Flush(s)) {
			return -ECANCELED;
		}
	}
	if (s->current == nullptr) {
		// Small first, grown by doubling up to batchBytes: most batches hold a few records,
		// and a batchBytes allocation is an mmap here, an mremap when trimmed and an munmap
		// when JavaScript frees it, each a syscall per batch.
		size_t cap = framed > kFirstBatchBytes ? framed : kFirstBatchBytes;
		if (cap > s->options.batchBytes)
			cap = framed > s->options.batchBytes ? framed : s->options.batchBytes;
		auto *bytes = static_cast<uint8_t *>(malloc(cap));
		if (bytes == nullptr)
			return -ENOMEM;
		s->current = new Batch{bytes, 0, cap, 0};
		s->holding = true;
		s->openedNs = NowNs();
		s->deadlineNs =
		    s->openedNs + static_cast<uint64_t>(s->options.maxWaitMs) * 1000000ull;
		s->sinceClock = 0;
	}
	Batch *batch = s->current;
	uint8_t *out = batch->data + batch->len;
	uint32_t header[2] = {static_cast<uint32_t>(size), 0};
	memcpy(out, header, sizeof(header));
	memcpy(out + kFrameHeader, first, firstLen);
	if (secondLen > 0)
		memcpy(out + kFrameHeader + firstLen, second, secondLen);
	memset(out + kFrameHeader + size, 0, framed - kFrameHeader - size);
	batch->len += framed;
	batch->records++;
	bool full =
	    batch->cap >= s->options.batchBytes && batch->cap - batch->len < kFrameHeader + 8;
	bool late = ++s->sinceClock >= kClockEvery && (s->sinceClock = 0, NowNs() >= s->deadlineNs);
	if ((full || late) && !Flush(s))
		return -ECANCELED;
	return 0;
}

// Reads every committed record (as libbpf's ringbuf_process_ring does); the count, or a negative
// errno.
int64_t Consume(RingReaderState *s) {
	auto *consumerPos = static_cast<unsigned long *>(s->consumerPage);
	auto *producerPos = static_cast<unsigned long *>(s->producerArea);
	const uint8_t *data = static_cast<const uint8_t *>(s->producerArea) + s->pageSize;
	const size_t mask = s->dataSize - 1;
	int64_t count = 0;
	unsigned long cons = __atomic_load_n(consumerPos, __ATOMIC_ACQUIRE);
	bool more = true;
	while (more) {
		more = false;
		unsigned long prod = __atomic_load_n(producerPos, __ATOMIC_ACQUIRE);
		while (cons < prod) {
			// Headers are 8-byte aligned and the data size is a multiple of the page: a
			// header never wraps.
			const auto *hdr = reinterpret_cast<const uint32_t *>(data + (cons & mask));
			uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
			if (len & BPF_RINGBUF_BUSY_BIT)
				return count; // reserved, not committed yet: the next pass reads it
			more = true;
			uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
			if ((len & BPF_RINGBUF_DISCARD_BIT) == 0) {
				size_t at = (cons + BPF_RINGBUF_HDR_SZ) & mask;
				size_t firstLen =
				    size <= s->dataSize - at ? size : s->dataSize - at;
				int err = OnSample(s, data + at, firstLen, data, size - firstLen);
				if (err < 0)
					return err;
				count++;
			}
			cons += (static_cast<unsigned long>(size) + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
			__atomic_store_n(consumerPos, cons, __ATOMIC_RELEASE);
		}
	}
	return count;
}

int TimeoutMs(const RingReaderState *s) {
	uint64_t now = NowNs();
	if (s->current == nullptr)
		return now - s->lastDataNs < kActiveHoldNs ? kActivePollMs : kIdlePollMs;
	uint64_t due = s->deadlineNs;
	// Only while JavaScript is idle: while it is busy, the batch waits for the deadline or for
	// JavaScript to return (CallJs wakes the reader). Waiting for the idle flush time then
	// would spin: it has passed, and the batch cannot go.
	if (s->options.flushWhenIdle && s->openedNs + kIdleFlushMinNs < due &&
	    s->inflight.load() == 0)
		due = s->openedNs + kIdleFlushMinNs;
	if (now >= due)
		return 0;
	return static_cast<int>((due - now + 999999) / 1000000);
}

void Run(RingReaderState *s) {
	epoll_event events[2];
	// Named: per-thread CPU and wakeups (/proc/PID/task/*/comm) tell it from V8's threads.
	pthread_setname_np(pthread_self(), "vigil-ring");
	while (true) {
		int request = s->request.load();
		if (request == kAbort)
			break;
		int timeout = request == kDrain ? 0 : TimeoutMs(s);
		bool muted = s->options.flushWhenIdle && s->current != nullptr &&
		             s->dataSize >= kMuteMinRingBytes;
		bool woken = false;
		if (muted) {
			pollfd wake = {s->wakeFd, POLLIN, 0};
			int n = poll(&wake, 1, timeout);
			if (n < 0 && errno != EINTR) {
				s->error = errno;
				break;
			}
			woken = n > 0;
		} else {
			int n = epoll_wait(s->epollFd, events, 2, timeout);
			if (n < 0 && errno != EINTR) {
				s->error = errno;
				break;
			}
			for (int i = 0; i < n; i++)
				woken = woken || events[i].data.u32 == 1;
		}
		if (woken) {
			uint64_t count;
			ssize_t r = read(s->wakeFd, &count, sizeof(count));
			(void)r;
		}
		request = s->request.load();
		if (request == kAbort)
			break;
		int64_t consumed = Consume(s);
		if (s->request.load() == kAbort)
			break;
		if (consumed < 0) {
			s->error = static_cast<int>(-consumed);
			break;
		}
		if (consumed > 0)
			s->lastDataNs = NowNs();
		// The ring is read dry: hand over what was gathered if JavaScript has nothing to
		// do.
		uint64_t now = NowNs();
		bool idle = s->options.flushWhenIdle && s->inflight.load() == 0 &&
		            s->current != nullptr && now - s->openedNs >= kIdleFlushMinNs;
		bool due =
		    s->current != nullptr && (request == kDrain || idle || now >= s->deadlineNs);
		if (due && !Flush(s))
			break;
		if (request == kDrain)
			break;
	}
	if (s->current != nullptr) {
		FreeBatch(s->current);
		s->current = nullptr;
	}
	s->finished = true;
	s->tsfn.Release();
}

void Finalize(Napi::Env, std::shared_ptr<RingReaderState> *holder, RingReaderState *) {
	std::shared_ptr<RingReaderState> s = std::move(*holder);
	delete holder;
	if (s->thread.joinable()) {
		// Environment teardown finalizes a function whose thread may still poll: stop it.
		s->request = kAbort;
		s->Wake();
		s->thread.join();
	}
	s->finalized = true;
	for (Napi::Promise::Deferred &deferred : s->drains) {
		try {
			deferred.Resolve(deferred.Env().Undefined());
		} catch (const Napi::Error &) {
			// The environment is being torn down; nobody awaits the promise any more.
		}
	}
	s->drains.clear();
}

} // namespace

RingReader::RingReader(std::shared_ptr<RingReaderState> state) : state_(std::move(state)) {
}

RingReader::~RingReader() {
	Stop();
}

std::unique_ptr<RingReader> RingReader::Start(Napi::Env env, int mapFd, Napi::Function onBatch,
                                              const RingReaderOptions &options) {
	auto s = std::make_shared<RingReaderState>();
	s->options = options;
	LogCapture capture;
	bpf_map_info info = {};
	uint32_t infoLen = sizeof(info);
	if (bpf_obj_get_info_by_fd(mapFd, &info, &infoLen) < 0)
		ThrowBpfError(env, "bpf_obj_get_info_by_fd", errno, &capture);
	if (info.type != BPF_MAP_TYPE_RINGBUF)
		ThrowBpfError(env, "ring reader: not a ring buffer map", EINVAL);
	s->mapFd = mapFd;
	s->pageSize = static_cast<size_t>(sysconf(_SC_PAGESIZE));
	s->dataSize = info.max_entries;
	s->consumerPage = mmap(nullptr, s->pageSize, PROT_READ | PROT_WRITE, MAP_SHARED, mapFd, 0);
	if (s->consumerPage == MAP_FAILED)
		ThrowBpfError(env, "mmap (ring consumer page)", errno);
	s->producerArea = mmap(nullptr, s->pageSize + s->dataSize, PROT_READ, MAP_SHARED, mapFd,
	                       static_cast<off_t>(s->pageSize));
	if (s->producerArea == MAP_FAILED)
		ThrowBpfError(env, "mmap (ring data)", errno);
	s->wakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wakeFd < 0)
		ThrowBpfError(env, "eventfd", errno);
	s->epollFd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epollFd < 0)
		ThrowBpfError(env, "epoll_create1", errno);
	epoll_event ring = {};
	ring.events = EPOLLIN;
	ring.data.u32 = 0;
	epoll_event wake = {};
	wake.events = EPOLLIN;
	wake.data.u32 = 1;
	if (epoll_ctl(s->epollFd, EPOLL_CTL_ADD, mapFd, &ring) < 0 ||
	    epoll_ctl(s->epollFd, EPOLL_CTL_ADD, s->wakeFd, &wake) < 0)
		ThrowBpfError(env, "epoll_ctl", errno);

	s->tsfn = Tsfn::New(env, onBatch, "vigil:ring-buffer", options.maxQueuedBatches, 1, s.get(),
	                    Finalize, new std::shared_ptr<RingReaderState>(s));
	try {
		s->thread = std::thread(Run, s.get());
	} catch (const std::system_error &e) {
		s->finished = true;
		s->tsfn.Release();
		ThrowBpfError(env, "std::thread", e.code().value());
	}
	return std::unique_ptr<RingReader>(new RingReader(s));
}

Napi::Promise RingReader::Drain(Napi::Env env) {
	Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
	RingReaderState *s = state_.get();
	if (s->finalized) {
		deferred.Resolve(env.Undefined());
		return deferred.Promise();
	}
	s->drains.push_back(deferred);
	int expected = kRun;
	s->request.compare_exchange_strong(expected, kDrain);
	s->Wake();
	return deferred.Promise();
}

void RingReader::Stop() {
	RingReaderState *s = state_.get();
	if (!s->thread.joinable())
		return;
	s->request = kAbort;
	s->Wake();
	if (!s->finalized)
		s->tsfn.Abort(); // wakes a reader blocked on a full queue
	s->thread.join();
}

bool RingReader::Finished() const {
	return state_->finished.load();
}

Napi::Object RingReader::Stats(Napi::Env env) const {
	const RingReaderState *s = state_.get();
	Napi::Object stats = Napi::Object::New(env);
	stats.Set("records", Napi::Number::New(env, static_cast<double>(s->records.load())));
	stats.Set("batches", Napi::Number::New(env, static_cast<double>(s->batches.load())));
	stats.Set("bytes", Napi::Number::New(env, static_cast<double>(s->bytes.load())));
	stats.Set("stalls", Napi::Number::New(env, static_cast<double>(s->stalls.load())));
	stats.Set("running", !s->finished.load());
	int error = s->error.load();
	stats.Set("error",
	          error == 0 ? env.Null() : Napi::Value(Napi::String::New(env, ErrorCode(error))));
	return stats;
}

} // namespace vigil
