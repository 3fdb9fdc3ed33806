/*
 * map_churn.cpp - std::map<std::string, std::string> churned by 8 threads,
 * with maps handed from thread to thread (the receiver checks and destroys
 * them: cross-thread frees), and the last maps destroyed by main after their
 * builders exited.
 *
 *   map_churn          print deterministic checksums (compared by the driver
 *                      with the run without the preload)
 *   map_churn --nano   also check that operator new/delete reach the preload:
 *                      dladdr(dlsym(RTLD_DEFAULT, "malloc")) names
 *                      libnano_preload.so, and >= 90% of the map nodes and
 *                      string buffers are nano blocks (dlsym "nano_owns")
 *
 * Exit 0 when every check holds.
 */
#include <dlfcn.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 8;
constexpr int kRounds = 300;
constexpr int kKeys = 400;

using Map = std::map<std::string, std::string>;

struct Parcel {
	std::unique_ptr<Map> map;
	uint64_t sum;           // the sender's checksum of the map
};

struct Mailbox {
	std::mutex lock;
	std::deque<Parcel> parcels;
};

Mailbox boxes[kThreads];
int (*nano_owns_fn)(const void *);
std::atomic<uint64_t> owned_blocks{0}, checked_blocks{0}, failures{0};

uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ull;
	x ^= x >> 29;
	return x;
}

uint64_t checksum(const Map &m)
{
	uint64_t s = m.size();
	for (const auto &kv : m) {
		for (char c : kv.first)
			s = s * 131 + static_cast<unsigned char>(c);
		for (char c : kv.second)
			s = s * 137 + static_cast<unsigned char>(c);
	}
	return s;
}

// Is this pointer a nano block? Counted over a sample of nodes and buffers.
void sample_ownership(const Map &m)
{
	if (!nano_owns_fn)
		return;
	uint64_t owned = 0, checked = 0;
	for (const auto &kv : m) {
		// The node (std::_Rb_tree_node: 32 bytes of links + the pair), and
		// the value's heap buffer (longer than the small-string buffer).
		checked += 2;
		owned += nano_owns_fn(&kv) != 0;
		owned += nano_owns_fn(kv.second.data()) != 0;
	}
	owned_blocks += owned;
	checked_blocks += checked;
}

std::string value_for(uint64_t v)
{
	// 16..80 characters: always beyond libstdc++'s 15-character SSO buffer.
	std::string s = "value-" + std::to_string(v);
	s.append(static_cast<size_t>(10 + v % 64), static_cast<char>('a' + v % 26));
	return s;
}

void churn(int id, uint64_t *result)
{
	uint64_t total = 0;
	Map map;
	for (int round = 0; round < kRounds; round++) {
		uint64_t seed = mix(static_cast<uint64_t>(id) * 1000003 + round);
		for (int k = 0; k < kKeys; k++) {
			uint64_t v = mix(seed + k);
			map["key-" + std::to_string(v % 1000)] = value_for(v);
		}
		// Erase about half, by key order.
		for (auto it = map.begin(); it != map.end();)
			it = (mix(seed ^ it->first.size() ^ static_cast<uint64_t>(it->second.size())) & 1)
				     ? map.erase(it)
				     : std::next(it);
		total = total * 31 + checksum(map);
		if (round % 10 == 0)
			sample_ownership(map);

		// Every 4th round: hand a copy to the next thread.
		if (round % 4 == 0) {
			auto copy = std::make_unique<Map>(map);
			uint64_t sum = checksum(*copy);
			Mailbox &next = boxes[(id + 1) % kThreads];
			std::lock_guard<std::mutex> g(next.lock);
			next.parcels.push_back(Parcel{std::move(copy), sum});
		}
		// Check and destroy what others handed us (their nodes: remote frees).
		std::deque<Parcel> mine;
		{
			std::lock_guard<std::mutex> g(boxes[id].lock);
			mine.swap(boxes[id].parcels);
		}
		for (auto &p : mine)
			if (checksum(*p.map) != p.sum)
				failures++;
	}
	*result = total;
}

int handler_calls;

// A new_handler that cannot free anything: counts itself and uninstalls
// itself, so that the next failure throws.
void count_and_give_up()
{
	handler_calls++;
	std::set_new_handler(nullptr);
}

}  // namespace

int main(int argc, char **argv)
{
	bool want_nano = argc > 1 && std::strcmp(argv[1], "--nano") == 0;
	if (want_nano) {
		void *sym = dlsym(RTLD_DEFAULT, "malloc");
		Dl_info info;
		if (!sym || !dladdr(sym, &info) || !info.dli_fname ||
		    !std::strstr(info.dli_fname, "libnano_preload.so")) {
			std::fprintf(stderr, "map_churn: malloc does not come from libnano_preload.so (%s)\n",
				     sym && dladdr(sym, &info) && info.dli_fname ? info.dli_fname : "?");
			return 1;
		}
		nano_owns_fn = reinterpret_cast<int (*)(const void *)>(dlsym(RTLD_DEFAULT, "nano_owns"));
		if (!nano_owns_fn) {
			std::fprintf(stderr, "map_churn: nano_owns not found\n");
			return 1;
		}
		// operator new itself.
		void *p = ::operator new(64);
		bool direct = nano_owns_fn(p);
		::operator delete(p);
		auto *s = new std::string(40, 'x');
		bool buf = nano_owns_fn(s) && nano_owns_fn(s->data());
		delete s;
		if (!direct || !buf) {
			std::fprintf(stderr, "map_churn: operator new(64) / new std::string are not nano blocks\n");
			return 1;
		}
		// The preload replaces operator new and delete itself (no libstdc++
		// operator in between), keeps new(0) a block of its own, and
		// still throws std::bad_alloc when no memory is to be had.
		static const char *const ops[] = { "_Znwm", "_Znam", "_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm" };
		for (const char *name : ops) {
			void *op = dlsym(RTLD_DEFAULT, name);
			if (!op || !dladdr(op, &info) || !info.dli_fname ||
			    !std::strstr(info.dli_fname, "libnano_preload.so")) {
				std::fprintf(stderr, "map_churn: %s does not come from libnano_preload.so\n", name);
				return 1;
			}
		}
		void *z1 = ::operator new[](0), *z2 = ::operator new[](0);
		if (!z1 || !z2 || z1 == z2) {
			std::fprintf(stderr, "map_churn: operator new[](0) gave %p and %p\n", z1, z2);
			return 1;
		}
		::operator delete[](z1);
		::operator delete[](z2);
		void *sz = ::operator new(200);
		::operator delete(sz, 200);
		// No memory anywhere: the program's new_handler runs (once: it
		// uninstalls itself), then std::bad_alloc, for new and new[].
		for (int arr = 0; arr < 2; arr++) {
			handler_calls = 0;
			std::set_new_handler(count_and_give_up);
			bool threw = false;
			try {
				volatile size_t huge = SIZE_MAX / 2;
				void *never = arr ? ::operator new[](huge) : ::operator new(huge);
				arr ? ::operator delete[](never) : ::operator delete(never);
			} catch (const std::bad_alloc &) {
				threw = true;
			}
			std::set_new_handler(nullptr);
			if (!threw || handler_calls != 1) {
				std::fprintf(stderr, "map_churn: operator new%s(SIZE_MAX / 2): %s, new_handler "
					     "called %d times (expected a throw after 1)\n", arr ? "[]" : "",
					     threw ? "threw std::bad_alloc" : "did not throw", handler_calls);
				return 1;
			}
		}
	}

	std::vector<std::thread> threads;
	uint64_t results[kThreads] = {};
	for (int i = 0; i < kThreads; i++)
		threads.emplace_back(churn, i, &results[i]);
	for (auto &t : threads)
		t.join();
	// Parcels left in the boxes: built by threads that have exited.
	size_t left = 0;
	for (auto &b : boxes) {
		for (auto &p : b.parcels)
			if (checksum(*p.map) != p.sum)
				failures++;
		left += b.parcels.size();
		b.parcels.clear();
	}

	uint64_t all = 0;
	for (int i = 0; i < kThreads; i++) {
		std::printf("thread %d: %016llx\n", i, static_cast<unsigned long long>(results[i]));
		all ^= results[i];
	}
	std::printf("all: %016llx\n", static_cast<unsigned long long>(all));
	std::fprintf(stderr, "map_churn: main destroyed %zu maps built by exited threads\n", left);
	if (failures) {
		std::fprintf(stderr, "map_churn: %llu handed-off maps failed their checksum\n",
			     static_cast<unsigned long long>(failures.load()));
		return 1;
	}
	if (want_nano) {
		uint64_t o = owned_blocks, c = checked_blocks;
		std::fprintf(stderr, "map_churn: %llu of %llu sampled nodes and buffers are nano blocks\n",
			     static_cast<unsigned long long>(o), static_cast<unsigned long long>(c));
		if (c == 0 || o * 100 < c * 90) {
			std::fprintf(stderr, "map_churn: fewer than 90%% of the nodes and buffers are nano's\n");
			return 1;
		}
	}
	return 0;
}
