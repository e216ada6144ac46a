#include "lakeflow/connectors/rest/rest_offset.h"

#include "lakeflow/core/time_parse.h"

namespace lakeflow::rest {
namespace {

// Reads the members of one offset object, each checked for its type; the
// first problem is kept and reported once, naming the whole offset.
class Reader {
 public:
  explicit Reader(const Json& object) : object_(object) {}

  const Json* Find(const char* name) const {
    auto it = object_.find(name);
    return it == object_.end() ? nullptr : &*it;
  }

  std::optional<std::string> Timestamp(const char* name) {
    const Json* value = Find(name);
    if (!value) return std::nullopt;
    if (!value->is_string() || !ParseTimestampMicros(value->get<std::string>())) {
      Fail(fmt::format("'{}' must be an ISO 8601 timestamp", name));
      return std::nullopt;
    }
    return value->get<std::string>();
  }

  std::string String(const char* name) {
    const Json* value = Find(name);
    if (!value) return "";
    if (!value->is_string()) Fail(fmt::format("'{}' must be a string", name));
    return value->is_string() ? value->get<std::string>() : "";
  }

  int64_t Count(const char* name) {
    const Json* value = Find(name);
    if (!value) return 0;
    if (!value->is_number_integer() || value->get<int64_t>() < 0) {
      Fail(fmt::format("'{}' must be a non-negative integer", name));
      return 0;
    }
    return value->get<int64_t>();
  }

  bool Flag(const char* name) {
    const Json* value = Find(name);
    if (!value) return false;
    if (!value->is_boolean()) Fail(fmt::format("'{}' must be true or false", name));
    return value->is_boolean() && value->get<bool>();
  }

  void Fail(std::string problem) {
    if (problem_.empty()) problem_ = std::move(problem);
  }
  const std::string& problem() const { return problem_; }

  // The object member `name` read by `read` (given a Reader of its own), or
  // nullopt when it is absent or has a problem (kept here).
  template <typename T>
  std::optional<T> Member(const char* name, T (*read)(Reader*)) {
    const Json* value = Find(name);
    if (!value) return std::nullopt;
    if (!value->is_object()) {
      Fail(fmt::format("'{}' must be an object", name));
      return std::nullopt;
    }
    Reader inner(*value);
    T out = read(&inner);
    if (!inner.problem().empty()) {
      Fail(inner.problem());
      return std::nullopt;
    }
    return out;
  }

 private:
  const Json& object_;
  std::string problem_;
};

ResumePoint ReadResume(Reader* r) {
  ResumePoint p;
  auto at = r->Timestamp("at");
  if (!at) r->Fail("'resume.at' must be an ISO 8601 timestamp");
  p.at = at.value_or("");
  if (const Json* keys = r->Find("keys")) {
    if (!keys->is_array()) r->Fail("'resume.keys' must be a list");
    for (auto it = keys->begin(); keys->is_array() && it != keys->end(); ++it) {
      if (!it->is_string()) r->Fail("'resume.keys' must hold strings");
      if (it->is_string()) p.keys.insert(it->get<std::string>());
    }
  }
  std::string order = r->String("order");
  if (order != "" && order != "asc" && order != "desc")
    r->Fail("'resume.order' must be asc or desc");
  p.descending = order == "desc";
  return p;
}

ParentPoint ReadParent(Reader* r) {
  ParentPoint p;
  p.page = r->String("page");
  p.index = r->Count("index");
  if (const Json* bound = r->Find("bound")) {
    if (!bound->is_object()) r->Fail("'parent.bound' must be an object");
    for (auto it = bound->begin(); bound->is_object() && it != bound->end(); ++it) {
      if (!it->is_string()) r->Fail("'parent.bound' must hold strings");
      if (it->is_string()) p.bound[it.key()] = it->get<std::string>();
    }
  }
  return p;
}

}  // namespace

Result<RestOffset> RestOffset::Parse(const Offset& offset, bool incremental) {
  RestOffset out;
  if (!offset) return out;
  if (!offset->is_object()) return Status::Invalid("offset {} is not an object", offset->dump());
  Reader r(*offset);
  if (!incremental) {
    out.page = r.String("page");
    out.skip = r.Count("skip");
    out.complete = r.Flag("complete");
    out.parent = r.Member("parent", ReadParent);
    // Earlier versions kept a fan-out's parent position at the top level.
    if (const Json* page = r.Find("parent_page"); page && page->is_string())
      out.parent = ParentPoint{page->get<std::string>(), r.Count("parent_index"), {}};
  } else {
    out.cursor = r.Timestamp("cursor");
    bool legacy_position = r.Find("page") != nullptr;
    out.until = r.Timestamp("until");
    out.max = r.Timestamp("max");
    out.resume = r.Member("resume", ReadResume);
    out.parent = r.Member("parent", ReadParent);
    if ((out.resume || out.parent) && !out.until) r.Fail("a resume point needs 'until'");
    if (legacy_position && !out.resume && !out.parent) {
      // An earlier version's page position: start that sequence again.
      out.until.reset();
      out.max.reset();
    }
    if (!out.cursor && !out.until && !offset->empty() && !legacy_position)
      r.Fail("an incremental offset needs 'cursor'");
  }
  if (!r.problem().empty())
    return Status::Invalid("offset {}: {}", OffsetToString(offset), r.problem());
  return out;
}

Offset RestOffset::ToOffset() const {
  Json out = Json::object();
  if (complete) {
    out["complete"] = true;
    return out;
  }
  if (!page.empty()) {
    out["page"] = page;
    out["skip"] = skip;
  }
  if (cursor) out["cursor"] = *cursor;
  if (until) out["until"] = *until;
  if (max) out["max"] = *max;
  if (resume) {
    Json keys = Json::array();
    for (const auto& k : resume->keys) keys.push_back(k);
    out["resume"] = {
        {"at", resume->at}, {"keys", keys}, {"order", resume->descending ? "desc" : "asc"}};
  }
  if (parent) {
    Json bound = Json::object();
    for (const auto& [name, value] : parent->bound) bound[name] = value;
    out["parent"] = {{"page", parent->page}, {"index", parent->index}};
    if (!bound.empty()) out["parent"]["bound"] = bound;
  }
  return out;
}

}  // namespace lakeflow::rest
