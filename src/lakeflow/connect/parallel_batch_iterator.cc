#include "lakeflow/connect/parallel_batch_iterator.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace lakeflow {
namespace {

class ParallelIterator : public BatchIterator {
 public:
  ParallelIterator(SchemaPtr schema, size_t parts, PartOpener open, size_t threads,
                   size_t queue_batches)
      : schema_(std::move(schema)),
        parts_(parts),
        open_(std::move(open)),
        capacity_(std::max<size_t>(queue_batches, 1)) {
    const size_t workers = std::clamp<size_t>(threads, 1, std::max<size_t>(parts, 1));
    running_ = workers;
    for (size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { Work(); });
  }

  ~ParallelIterator() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    room_.notify_all();
    for (auto& worker : workers_) worker.join();
  }

  const SchemaPtr& schema() const override { return schema_; }

  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    std::unique_lock lock(mu_);
    ready_.wait(lock, [this] { return !queue_.empty() || running_ == 0 || !error_.ok(); });
    if (!error_.ok()) return error_;
    if (queue_.empty()) return std::shared_ptr<arrow::RecordBatch>();
    auto batch = std::move(queue_.front());
    queue_.pop_front();
    room_.notify_one();
    return batch;
  }

 private:
  void Work() {
    while (true) {
      size_t index;
      {
        std::lock_guard lock(mu_);
        if (stopping_ || next_part_ >= parts_) break;
        index = next_part_++;
      }
      Status status = ReadPart(index);
      if (!status.ok()) {
        std::lock_guard lock(mu_);
        if (error_.ok()) error_ = status;
        stopping_ = true;
        room_.notify_all();
        break;
      }
    }
    std::lock_guard lock(mu_);
    --running_;
    ready_.notify_all();
  }

  Status ReadPart(size_t index) {
    LF_ASSIGN_OR_RETURN(auto part, open_(index));
    if (part == nullptr) return Status::OK();
    while (true) {
      LF_ASSIGN_OR_RETURN(auto batch, part->Next());
      if (batch == nullptr) return Status::OK();
      std::unique_lock lock(mu_);
      room_.wait(lock, [this] { return queue_.size() < capacity_ || stopping_; });
      if (stopping_) return Status::OK();
      queue_.push_back(std::move(batch));
      ready_.notify_one();
    }
  }

  SchemaPtr schema_;
  const size_t parts_;
  PartOpener open_;
  const size_t capacity_;

  std::mutex mu_;
  std::condition_variable ready_;  // a batch is queued, a worker ended, or an error
  std::condition_variable room_;   // the queue has room, or stop
  std::deque<std::shared_ptr<arrow::RecordBatch>> queue_;
  size_t next_part_ = 0;
  size_t running_ = 0;
  bool stopping_ = false;
  Status error_;
  std::vector<std::thread> workers_;  // last: started once the rest is ready
};

}  // namespace

std::unique_ptr<BatchIterator> ParallelBatchIterators(SchemaPtr schema, size_t parts,
                                                      PartOpener open, size_t threads,
                                                      size_t queue_batches) {
  return std::make_unique<ParallelIterator>(std::move(schema), parts, std::move(open), threads,
                                            queue_batches);
}

}  // namespace lakeflow
