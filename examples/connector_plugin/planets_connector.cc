// A complete connector, built as a plugin: the worked example of
// docs/connector-guide.md.
//
//   planets       snapshot: eight rows, handed over as one JSON page
//   observations  cdc on observed_at: one observation per planet per day,
//                 from 2024-01-01 for `days` days (option, default 30),
//                 read a page of `page_days` days at a time
//
// Build:  part of the project build (build/libplanets_connector.so)
// Use:    lakeflow --plugin build/libplanets_connector.so read --source planets -o
// tableName=planets
#include <fmt/format.h>

#include "lakeflow/sdk.h"

namespace planets {

using lakeflow::Json;
using lakeflow::Offset;
using lakeflow::Options;
using lakeflow::ReadResult;
using lakeflow::Result;
using lakeflow::Status;

constexpr const char* kPlanets[] = {"Mercury", "Venus",  "Earth",  "Mars",
                                    "Jupiter", "Saturn", "Uranus", "Neptune"};
constexpr double kRadiusKm[] = {2439.7, 6051.8, 6371.0, 3389.5, 69911, 58232, 25362, 24622};

class PlanetsConnector : public lakeflow::LakeflowConnect {
 public:
  static Result<std::unique_ptr<lakeflow::LakeflowConnect>> Make(const Options& options) {
    auto c = std::unique_ptr<PlanetsConnector>(new PlanetsConnector(options));
    LF_ASSIGN_OR_RETURN(c->days_, options.GetIntOr("days", 30));
    LF_ASSIGN_OR_RETURN(c->page_days_, options.GetIntOr("page_days", 7));
    if (c->days_ < 0 || c->days_ > 3650) return Status::Invalid("option 'days' must be 0..3650");
    if (c->page_days_ < 1) return Status::Invalid("option 'page_days' must be at least 1");
    return std::unique_ptr<lakeflow::LakeflowConnect>(std::move(c));
  }

  Result<std::vector<std::string>> list_tables() override {
    return std::vector<std::string>{"planets", "observations"};
  }

  Result<lakeflow::SchemaPtr> get_table_schema(std::string_view table, const Options&) override {
    if (table == "planets")
      return lakeflow::ParseDdl("name STRING NOT NULL, position INT, radius_km DOUBLE");
    if (table == "observations") {
      return lakeflow::ParseDdl(
          "planet STRING NOT NULL, day DATE NOT NULL, brightness DOUBLE, observed_at TIMESTAMP");
    }
    return UnknownTable(table);
  }

  Result<lakeflow::TableMetadata> read_table_metadata(std::string_view table,
                                                      const Options&) override {
    if (table == "planets")
      return lakeflow::TableMetadata{{"name"}, std::nullopt, lakeflow::IngestionType::kSnapshot};
    if (table == "observations") {
      return lakeflow::TableMetadata{
          {"planet", "day"}, "observed_at", lakeflow::IngestionType::kCdc};
    }
    return UnknownTable(table);
  }

  Result<ReadResult> read_table(std::string_view table, const Offset& start,
                                const Options&) override {
    if (table == "planets") return ReadPlanets();
    if (table == "observations") return ReadObservations(start);
    return UnknownTable(table);
  }

 private:
  explicit PlanetsConnector(Options options) : LakeflowConnect(std::move(options)) {}

  // The whole table as one JSON page; no offset, so one call reads it all.
  Result<ReadResult> ReadPlanets() {
    Json rows = Json::array();
    for (int i = 0; i < 8; ++i)
      rows.push_back({{"name", kPlanets[i]}, {"position", i + 1}, {"radius_km", kRadiusKm[i]}});
    std::vector<lakeflow::Chunk> chunks;
    chunks.emplace_back(lakeflow::JsonChunk::Document(Json{{"planets", rows}}.dump(), "/planets"));
    return ReadResult{lakeflow::RecordStream::FromChunks(std::move(chunks)), std::nullopt};
  }

  // Days after the offset's "day", page_days at a time. The end offset is the
  // last day read; when there is nothing new it equals the start: caught up.
  Result<ReadResult> ReadObservations(const Offset& start) {
    int64_t after = start && start->contains("day") ? (*start)["day"].get<int64_t>() : 0;
    int64_t last = std::min(days_, after + page_days_);
    if (last <= after) return ReadResult{lakeflow::RecordStream::Empty(), start};
    std::string lines;
    for (int64_t day = after + 1; day <= last; ++day) {
      for (int i = 0; i < 8; ++i) {
        std::string date =
            fmt::format("2024-{:02d}-{:02d}", 1 + (day - 1) / 28 % 12, 1 + (day - 1) % 28);
        lines += Json{{"planet", kPlanets[i]},
                      {"day", date},
                      {"brightness", 1.0 / (i + 1) + day * 0.001},
                      {"observed_at", date + "T22:00:00Z"}}
                     .dump();
        lines += '\n';
      }
    }
    std::vector<lakeflow::Chunk> chunks;
    chunks.emplace_back(lakeflow::JsonChunk::Lines(std::move(lines)));
    return ReadResult{lakeflow::RecordStream::FromChunks(std::move(chunks)),
                      Offset(Json{{"day", last}})};
  }

  int64_t days_ = 30;
  int64_t page_days_ = 7;
};

}  // namespace planets

LAKEFLOW_CONNECTOR_PLUGIN(registry) {
  registry->Register({"planets",
                      "the planets of the solar system, and nightly observations (example)",
                      {},
                      &planets::PlanetsConnector::Make});
}
