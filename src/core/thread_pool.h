// core/thread_pool.h — a fixed pool of worker threads with a bounded task queue.
//
// Thread safety: submit() may be called from any thread, including from inside a task.
// wait_idle() blocks until every submitted task has finished. The destructor drains the queue.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cci {

class ThreadPool {
 public:
  explicit ThreadPool(std::size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void submit(std::function<void()> task);
  void wait_idle();
  std::size_t size() const { return workers_.size(); }

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> queue_;  // guarded by mutex_
  std::size_t active_ = 0;                   // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::vector<std::thread> workers_;
};

// Runs body(i) for i in [0, count) on `threads` threads (the caller's thread is one of them);
// indices are handed out dynamically so uneven work balances. `body` must be thread-safe.
void parallel_for(std::size_t count, std::size_t threads, const std::function<void(std::size_t)>& body);

// The default worker count: hardware concurrency, at least 1.
std::size_t default_worker_count();

}  // namespace cci
