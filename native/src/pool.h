// The native kernels' threads: a fixed pool (the calling thread included) that runs one phase of a
// call at a time as a list of independent chunks (rows of a product, batch rows of a time loop),
// each thread claiming the next chunk until none is left. Every output element is computed by
// exactly one chunk with the single-thread arithmetic, so results are identical at any thread
// count (src/kernels/wasm/threads.ts does the same for the WASM kernels). Workers sleep on a
// condition variable between phases; they are detached, so an idle pool never delays exit.
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

class Pool {
 public:
  static Pool& get() {
    static Pool* p = new Pool();  // never destroyed: detached workers may still wait on it at exit
    return *p;
  }

  /** Threads in all, this one included. */
  void setThreads(int n) {
    n = std::max(1, std::min(n, 256));
    std::lock_guard<std::mutex> lock(mu_);
    while (int(spawned_) < n - 1) {
      std::thread([this, id = spawned_] { loop(id); }).detach();
      spawned_++;
    }
    threads_ = n;
  }
  int threads() const { return threads_; }
  /** Multiply-adds a thread must get before a phase is split (tests set 0 to split everything). */
  double minWork = double(1 << 22);

  /** How many threads a phase of `work` multiply-adds over `units` indivisible units should use. */
  int plan(double work, int units) const {
    int t = threads_;
    if (minWork > 0) t = std::min<double>(t, work / minWork);
    return std::max(1, std::min(t, units));
  }

  /** Runs fn(chunk) for chunk in [0, chunks) on `threads` threads (this one included). */
  void run(int threads, int chunks, const std::function<void(int)>& fn) {
    if (threads <= 1 || chunks <= 1) {
      for (int c = 0; c < chunks; c++) fn(c);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_ = &fn;
      chunks_ = chunks;
      next_.store(0);
      done_.store(0);
      helpers_ = std::min(threads - 1, int(spawned_));
      gen_++;
    }
    wake_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(mu_);
    finished_.wait(lock, [&] { return done_.load() == chunks_ && active_ == 0; });
    fn_ = nullptr;
  }

  /** Chunks the workers (not the calling thread) have run: tests check that they took part. */
  std::atomic<long> workerChunks{0};

 private:
  Pool() = default;

  void work(bool worker = false) {
    for (;;) {
      const int c = next_.fetch_add(1);
      if (c >= chunks_) return;
      (*fn_)(c);
      if (worker) workerChunks.fetch_add(1);
      if (done_.fetch_add(1) + 1 == chunks_) {
        std::lock_guard<std::mutex> lock(mu_);
        finished_.notify_all();
      }
    }
  }

  void loop(int id) {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return gen_ != seen && id < helpers_; });
        seen = gen_;
        active_++;
      }
      work(true);
      std::lock_guard<std::mutex> lock(mu_);
      active_--;
      finished_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_, finished_;
  const std::function<void(int)>* fn_ = nullptr;
  int chunks_ = 0;
  std::atomic<int> next_{0}, done_{0};
  int helpers_ = 0, active_ = 0, threads_ = 1;
  unsigned spawned_ = 0;
  uint64_t gen_ = 0;
};

/** Splits [0, n) into `pieces` ranges whose inner bounds are multiples of `grain`. */
inline std::vector<std::pair<int, int>> ranges(int n, int pieces, int grain) {
  std::vector<std::pair<int, int>> out;
  const int units = (n + grain - 1) / grain;
  pieces = std::max(1, std::min(pieces, units));
  int u0 = 0;
  for (int p = 0; p < pieces; p++) {
    const int u1 = u0 + (units - u0) / (pieces - p);
    out.emplace_back(std::min(n, u0 * grain), std::min(n, u1 * grain));
    u0 = u1;
  }
  return out;
}
