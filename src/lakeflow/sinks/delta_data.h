// Data files of a Delta table: Parquet written and read through Arrow, with
// the per-file statistics Delta readers (and our merges) use to skip files.
#pragma once

#include <arrow/record_batch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lakeflow/core/offset.h"
#include "lakeflow/core/types.h"

namespace parquet::arrow {
class FileWriter;
}
namespace arrow::io {
class FileOutputStream;
}

namespace lakeflow::sinks::delta {

// A data file is closed once it holds this many rows or about this many bytes
// (Arrow's in-memory size, an upper bound of the Parquet size).
inline constexpr int64_t kTargetFileRows = 250'000;
inline constexpr int64_t kTargetFileBytes = int64_t{64} << 20;

// A Parquet file written under a table folder.
struct DataFile {
  std::string path;  // relative to the table folder
  int64_t size = 0;  // bytes
  int64_t rows = 0;
  Json stats;  // Delta's stats object: numRecords, minValues, maxValues, nullCount
};

// Writes batches of one schema into Parquet files of bounded size under
// `table_dir/subdir`, computing each file's statistics as it goes. Files get
// fresh random names, so a file left by a crashed attempt is never reused.
//
// With `cluster_columns` (indices of orderable columns), each file's rows are
// sorted by those columns, nulls last: a file's worth of rows is held until
// the file is written, so its statistics span narrow ranges of them.
class DataFileWriter {
 public:
  DataFileWriter(std::string table_dir, std::string subdir, SchemaPtr schema, std::string table,
                 std::vector<int> cluster_columns = {});
  ~DataFileWriter();
  DataFileWriter(const DataFileWriter&) = delete;
  DataFileWriter& operator=(const DataFileWriter&) = delete;

  Status Write(const std::shared_ptr<arrow::RecordBatch>& batch);
  // Closes the open file; every file written, in order.
  Result<std::vector<DataFile>> Finish();
  // Rows handed to Write, including those held for sorting until Finish.
  int64_t rows_written() const { return total_rows_ + held_rows_; }

 private:
  Status Open();
  Status Close();
  Status WriteSlice(const std::shared_ptr<arrow::RecordBatch>& batch);
  Status WriteInOrder(const std::shared_ptr<arrow::RecordBatch>& batch);
  // Writes the held rows, sorted, as files of their own.
  Status FlushClustered();
  Status UpdateStats(const arrow::RecordBatch& batch);

  std::string table_dir_, subdir_, table_;
  SchemaPtr schema_;
  std::shared_ptr<arrow::io::FileOutputStream> out_;
  std::unique_ptr<parquet::arrow::FileWriter> writer_;
  DataFile current_;
  int64_t current_bytes_ = 0;
  int64_t total_rows_ = 0;
  std::vector<int64_t> null_counts_;
  // Per column, a one-row array holding the file's min / max so far.
  std::vector<std::shared_ptr<arrow::Array>> mins_, maxs_;
  std::vector<DataFile> done_;
  std::vector<int> cluster_columns_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> held_;  // rows awaiting their sort
  int64_t held_rows_ = 0;
  int64_t held_bytes_ = 0;
};

// The order of `batch`'s rows sorted by `columns` (orderable; nulls last),
// stable: equal rows keep their order.
std::vector<int64_t> SortedOrder(const arrow::RecordBatch& batch, const std::vector<int>& columns);

// Writes `batch` as the Parquet file `path` (aside, then renamed over it).
Status WriteParquetFile(const std::string& path, const std::shared_ptr<arrow::RecordBatch>& batch,
                        const std::string& table);

// A whole Parquet file as one batch.
Result<std::shared_ptr<arrow::RecordBatch>> ReadParquetFile(const std::string& path,
                                                            const std::string& table);

// The rows of `batch` at `rows`, in that order; -1 gives a row of nulls.
Result<std::shared_ptr<arrow::RecordBatch>> TakeRows(const arrow::RecordBatch& batch,
                                                     const std::vector<int64_t>& rows);
Result<std::shared_ptr<arrow::Array>> TakeArray(const arrow::Array& array,
                                                const std::vector<int64_t>& rows);

// Whether values of `type` can be ordered by CompareCells (sequences), and
// whether Delta min/max statistics are written for it.
bool IsOrderable(const arrow::DataType& type);
bool HasMinMaxStats(const arrow::DataType& type);

// Orders two non-null cells of arrays of the same orderable type: <0, 0, >0.
int CompareCells(const arrow::Array& a, int64_t i, const arrow::Array& b, int64_t j);

// Orders two statistics values of a column of `type` as written in `stats`;
// nullopt when they cannot be compared (then no file may be skipped).
std::optional<int> CompareStatValues(const arrow::DataType& type, const Json& a, const Json& b);

// The JSON form of a cell, as it appears in statistics.
Json CellToJson(const arrow::Array& array, int64_t row);

// Row `row`'s values of `columns` as one string: equal keys, equal strings.
std::string EncodeKey(const arrow::RecordBatch& batch, const std::vector<int>& columns,
                      int64_t row);

// A random 128-bit hex name part.
std::string RandomHex();

}  // namespace lakeflow::sinks::delta
