// Helpers shared by the C++ tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "lakeflow/connect/batch_iterator.h"

namespace lakeflow::testing {

// A fresh directory under the system temp dir, removed with everything in it
// when the object goes.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "lakeflow") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();  // tests cannot go on without it
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

using Batches = std::vector<std::shared_ptr<arrow::RecordBatch>>;

// Every batch an iterator yields, or its first error.
inline Result<Batches> DrainBatches(BatchIterator* it) {
  Batches out;
  while (true) {
    LF_ASSIGN_OR_RETURN(auto batch, it->Next());
    if (!batch) return out;
    out.push_back(std::move(batch));
  }
}

}  // namespace lakeflow::testing
