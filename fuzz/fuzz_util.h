// Helpers shared by the libFuzzer targets (fuzz/*_fuzz.cc).
//
// A target feeds its bytes to one parser. A parser may refuse the input with
// a Status, and that is fine; what a fuzzer hunts is anything else: a crash, a
// sanitizer report, an exception, a hang, or a result that breaks the
// parser's own promise (a schema that does not read back). FUZZ_CHECK turns
// a broken promise into an abort, which libFuzzer records as a crash.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s)\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

namespace lakeflow::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A private folder for the targets that read files, made once per process
// (in memory when /dev/shm exists) and removed at exit. Never destroyed: the
// exit handler that removes it runs after static destructors.
inline const std::string& ScratchDir() {
  static const std::string& dir = *new std::string([] {
    std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string tmpl = base + "/lakeflow_fuzz_XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    std::atexit([] { std::filesystem::remove_all(ScratchDir()); });
    return tmpl;
  }());
  return dir;
}

// Replaces `path` (under ScratchDir) with `contents`, creating its folder.
inline void WriteFile(const std::string& path, std::string_view contents) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(contents.data(), contents.size());
}

}  // namespace lakeflow::fuzz
