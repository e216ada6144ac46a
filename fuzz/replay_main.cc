// A main for the fuzz targets without libFuzzer: runs LLVMFuzzerTestOneInput
// once on each file named on the command line, or on every file in each named
// folder. Any compiler builds it, so the sanitizer build of CI replays every
// seed and regression input under g++'s ASan and UBSan; fuzzing itself needs
// clang (LAKEFLOW_FUZZ, scripts/fuzz.sh).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int RunOne(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int failed = 0, runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (!std::filesystem::is_directory(arg, ec)) {
      failed |= RunOne(arg);
      ++runs;
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(arg, ec))
      if (entry.is_regular_file()) files.push_back(entry.path());
    for (const auto& f : files) {
      failed |= RunOne(f);
      ++runs;
    }
  }
  std::printf("%d inputs replayed\n", runs);
  return failed;
}
