#include "lakeflow/core/file_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace lakeflow {

namespace {

// A temporary file beside `path` that this call creates: a fresh name, never
// an existing file or a link someone left there (O_EXCL | O_NOFOLLOW).
int CreateTemporary(const std::string& path, mode_t mode, std::string* tmp) {
  static std::atomic<uint64_t> counter{0};
  for (int tries = 0; tries < 100; ++tries) {
    *tmp = fmt::format("{}.{}.{}.tmp", path, ::getpid(), counter++);
    int fd = ::open(tmp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

}  // namespace

Status WriteFileAtomically(const std::string& path, const std::string& contents, mode_t mode) {
  std::string tmp;
  int fd = CreateTemporary(path, mode, &tmp);
  if (fd < 0) return Status::IOError("cannot write {}: {}", tmp, std::strerror(errno));
  ::fchmod(fd, mode);  // the umask may have narrowed it
  bool ok =
      ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
      ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::IOError("cannot write {}: {}", path, std::strerror(errno));
  }
  return Status::OK();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read {}", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace lakeflow
