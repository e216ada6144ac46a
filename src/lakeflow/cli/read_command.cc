// `lakeflow read` and `lakeflow stream`.
#include <csignal>
#include <filesystem>

#include "lakeflow/cli/commands.h"
#include "lakeflow/cli/output.h"
#include "lakeflow/core/schema.h"
#include "lakeflow/datasource/data_source.h"
#include "lakeflow/datasource/stream_reader.h"

namespace lakeflow::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnStopSignal(int) {
  g_stop.store(true);
}

Result<std::unique_ptr<DataSource>> OpenSource(const ReadArgs& args, const ConnectionStore& store) {
  LF_ASSIGN_OR_RETURN(Options options, ParseOptionFlags(args.options, args.connection));
  OpenOptions open;
  open.store = &store;
  if (!args.source.empty()) open.source = args.source;
  open.batch_rows = args.batch_rows;
  return DataSource::Open(options, open);
}

// Writes each micro-batch: into its own part file, so a replay replaces it,
// or onto stdout through one writer for the whole stream (one CSV header).
class OutputSink : public MicroBatchSink {
 public:
  OutputSink(OutputSpec spec, SchemaPtr schema)
      : spec_(std::move(spec)), schema_(std::move(schema)) {}

  Status WriteMicroBatch(int64_t id, BatchIterator* batches) override {
    std::unique_ptr<OutputWriter> part;
    OutputWriter* writer = stdout_writer_.get();
    if (spec_.to_files() || spec_.format == OutputSpec::Format::kTable) {
      LF_ASSIGN_OR_RETURN(part, MakeOutputWriter(spec_, schema_, PartPath(id), stdout));
      writer = part.get();
    } else if (!writer) {
      LF_ASSIGN_OR_RETURN(stdout_writer_, MakeOutputWriter(spec_, schema_, "", stdout));
      writer = stdout_writer_.get();
    }
    while (true) {
      LF_ASSIGN_OR_RETURN(auto batch, batches->Next());
      if (!batch) break;
      LF_RETURN_IF_ERROR(writer->Write(*batch));
    }
    if (part) return part->Finish();
    // A micro-batch on stdout reaches whoever reads it before it commits.
    if (std::fflush(stdout) != 0) return Status::IOError("cannot write output");
    return Status::OK();
  }

  Status Finish() { return stdout_writer_ ? stdout_writer_->Finish() : Status::OK(); }

 private:
  std::string PartPath(int64_t id) const {
    if (!spec_.to_files()) return "";
    std::error_code ec;
    std::filesystem::create_directories(spec_.path, ec);
    return fmt::format("{}/part-{:06d}.{}", spec_.path, id,
                       spec_.format == OutputSpec::Format::kParquet ? "parquet" : "arrow");
  }

  OutputSpec spec_;
  SchemaPtr schema_;
  std::unique_ptr<OutputWriter> stdout_writer_;
};

}  // namespace

Status RunRead(const ReadArgs& args) {
  LF_ASSIGN_OR_RETURN(OutputSpec spec, OutputSpec::Parse(args.output));
  ConnectionStore store = ConnectionStore::Default();
  LF_ASSIGN_OR_RETURN(auto source, OpenSource(args, store));
  LF_ASSIGN_OR_RETURN(SchemaPtr schema, source->Schema());
  LF_ASSIGN_OR_RETURN(auto batches, source->ReadAll());
  LF_ASSIGN_OR_RETURN(auto writer, MakeOutputWriter(spec, schema, "", stdout));
  int64_t remaining = args.limit;
  while (remaining != 0) {
    LF_ASSIGN_OR_RETURN(auto batch, batches->Next());
    if (!batch) break;
    if (remaining > 0 && batch->num_rows() > remaining) batch = batch->Slice(0, remaining);
    LF_RETURN_IF_ERROR(writer->Write(*batch));
    if (remaining > 0) remaining -= batch->num_rows();
  }
  return writer->Finish();
}

Status RunStream(const StreamArgs& args) {
  if (args.checkpoint.empty()) return Status::Invalid("lakeflow stream needs --checkpoint DIR");
  LF_ASSIGN_OR_RETURN(OutputSpec spec, OutputSpec::Parse(args.read.output));
  LF_ASSIGN_OR_RETURN(Trigger trigger, Trigger::Parse(args.trigger));
  ReadArgs read = args.read;
  if (args.max_records_per_batch > 0) {
    read.options.push_back(fmt::format("max_records_per_batch={}", args.max_records_per_batch));
  }
  ConnectionStore store = ConnectionStore::Default();
  LF_ASSIGN_OR_RETURN(auto source, OpenSource(read, store));
  if (source->request().kind != ReadRequest::Kind::kTable) {
    return Status::Invalid("tableName '{}' cannot be streamed: use lakeflow read",
                           source->request().table);
  }
  LF_ASSIGN_OR_RETURN(SchemaPtr schema, source->Schema());
  LF_ASSIGN_OR_RETURN(Checkpoint checkpoint,
                      Checkpoint::Open(args.checkpoint, StreamReader::Identity(*source)));
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  OutputSink sink(spec, schema);
  StreamReader reader(source.get(), std::move(checkpoint));
  LF_ASSIGN_OR_RETURN(StreamProgress progress, reader.Run(trigger, &sink, &g_stop));
  LF_RETURN_IF_ERROR(sink.Finish());
  std::fprintf(stderr, "stream: %lld micro-batches, %lld rows; offset %s\n",
               static_cast<long long>(progress.batches), static_cast<long long>(progress.rows),
               OffsetToString(progress.last_offset).c_str());
  return Status::OK();
}

Status RunSchema(const ReadArgs& args, const std::string& format) {
  if (format != "json" && format != "ddl")
    return Status::Invalid("bad --format '{}': expected json or ddl", format);
  ConnectionStore store = ConnectionStore::Default();
  LF_ASSIGN_OR_RETURN(auto source, OpenSource(args, store));
  LF_ASSIGN_OR_RETURN(SchemaPtr schema, source->Schema());
  std::string text = format == "json" ? SchemaToSparkJson(*schema).dump() : SchemaToDdl(*schema);
  std::printf("%s\n", text.c_str());
  return Status::OK();
}

}  // namespace lakeflow::cli
