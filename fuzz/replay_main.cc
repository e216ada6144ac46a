// A main for the fuzz targets without libFuzzer, so that any compiler builds
// them (the g++ sanitizer build of CI):
//
//   fuzz_NAME FILE|DIR...                 run each input once (a replay)
//   fuzz_NAME --mutate SECONDS [--seed N] [--crash-file PATH] FILE|DIR...
//                                         for SECONDS, run random mutations of
//                                         the inputs: bytes flipped, inserted,
//                                         deleted, repeated, spliced from
//                                         another input, or tokens parsers
//                                         trip on
//
// The mutation loop is blind (no coverage feedback: that is libFuzzer's, with
// clang, in scripts/fuzz.sh), but it costs no build of its own and finds what
// a few thousand near-valid inputs find. When a sanitizer stops the process,
// the input it was running is written to the crash file and named on stderr.
#include <sanitizer/common_interface_defs.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string ReadFile(const std::filesystem::path& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void Run(const std::string& bytes) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// The files named, folders walked.
std::vector<std::filesystem::path> Inputs(const std::vector<std::string>& args) {
  std::vector<std::filesystem::path> out;
  for (const auto& arg : args) {
    std::error_code ec;
    if (!std::filesystem::is_directory(arg, ec)) {
      out.emplace_back(arg);
      continue;
    }
    for (const auto& entry : std::filesystem::recursive_directory_iterator(arg, ec))
      if (entry.is_regular_file()) out.push_back(entry.path());
  }
  return out;
}

// What the death callback writes: the input being run, and where.
std::string g_current;
std::string g_crash_file;

void OnDeath() {
  if (g_crash_file.empty()) return;
  std::ofstream out(g_crash_file, std::ios::binary);
  out.write(g_current.data(), static_cast<std::streamsize>(g_current.size()));
  std::fprintf(stderr, "the input that stopped the run is in %s\n", g_crash_file.c_str());
}

class Mutator {
 public:
  Mutator(std::vector<std::string> seeds, uint64_t seed) : seeds_(std::move(seeds)), rng_(seed) {}

  std::string Next() {
    std::string s = seeds_[Pick(seeds_.size())];
    int edits = 1 + static_cast<int>(Pick(8));
    for (int i = 0; i < edits; ++i) Edit(&s);
    if (s.size() > kMaxSize) s.resize(kMaxSize);
    return s;
  }

 private:
  static constexpr size_t kMaxSize = 1 << 16;

  size_t Pick(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }

  void Edit(std::string* s) {
    static const char* kTokens[] = {"{",
                                    "}",
                                    "[",
                                    "]",
                                    "\"",
                                    "\\",
                                    "\\u",
                                    "\xff",
                                    "\0",
                                    "-1",
                                    "0",
                                    "1e999",
                                    ":",
                                    ",",
                                    "null",
                                    "..",
                                    "%",
                                    "\r\n",
                                    "<",
                                    ">",
                                    "'",
                                    "99999999999999999999",
                                    "-9223372036854775808",
                                    "STRUCT<",
                                    "ARRAY<",
                                    "MAP<",
                                    "DECIMAL(38,",
                                    "\t"};
    size_t at = Pick(s->size() + 1);
    switch (Pick(6)) {
      case 0:  // flip a bit
        if (!s->empty()) (*s)[Pick(s->size())] ^= static_cast<char>(1u << Pick(8));
        break;
      case 1:  // insert a random byte
        s->insert(at, 1, static_cast<char>(Pick(256)));
        break;
      case 2:  // delete a range
        if (!s->empty()) s->erase(at < s->size() ? at : 0, 1 + Pick(16));
        break;
      case 3:  // repeat a range
        if (!s->empty()) {
          size_t from = Pick(s->size());
          std::string piece = s->substr(from, 1 + Pick(64));
          for (size_t n = 1 + Pick(4); n > 0; --n) s->insert(at, piece);
        }
        break;
      case 4: {  // splice in part of another input
        const std::string& other = seeds_[Pick(seeds_.size())];
        if (!other.empty()) s->insert(at, other.substr(Pick(other.size()), 1 + Pick(128)));
        break;
      }
      default: {  // a token parsers trip on
        std::string token = kTokens[Pick(std::size(kTokens))];
        if (token.empty()) token.assign(1, '\0');
        s->insert(at, token);
      }
    }
  }

  std::vector<std::string> seeds_;
  std::mt19937_64 rng_;
};

int Replay(const std::vector<std::filesystem::path>& files) {
  int failed = 0;
  for (const auto& f : files) {
    bool ok = false;
    std::string bytes = ReadFile(f, &ok);
    if (!ok) {
      std::fprintf(stderr, "cannot read %s\n", f.c_str());
      failed = 1;
      continue;
    }
    Run(bytes);
  }
  std::printf("%zu inputs replayed\n", files.size());
  return failed;
}

int Mutate(const std::vector<std::filesystem::path>& files, double seconds, uint64_t seed) {
  std::vector<std::string> seeds;
  for (const auto& f : files) {
    bool ok = false;
    seeds.push_back(ReadFile(f, &ok));
  }
  if (seeds.empty()) seeds.emplace_back();
  __sanitizer_set_death_callback(OnDeath);
  Mutator mutator(std::move(seeds), seed);
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int64_t runs = 0;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 64; ++i, ++runs) {
      g_current = mutator.Next();
      Run(g_current);
    }
  }
  std::printf("%lld mutated inputs run (%.0f/s), seed %llu\n", static_cast<long long>(runs),
              static_cast<double>(runs) / seconds, static_cast<unsigned long long>(seed));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  double mutate_seconds = 0;
  uint64_t seed = std::random_device{}();
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--mutate" && i + 1 < argc) {
      mutate_seconds = std::atof(argv[++i]);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--crash-file" && i + 1 < argc) {
      g_crash_file = argv[++i];
    } else {
      args.push_back(arg);
    }
  }
  auto files = Inputs(args);
  if (mutate_seconds > 0) return Mutate(files, mutate_seconds, seed);
  return Replay(files);
}
