#include "lakeflow/core/file_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <thread>

namespace lakeflow {
namespace {

// What this process is, for the holder line: the program's name and the
// words that follow it up to the first option ("lakeflow pipeline run
// p.yaml"). Options are left out: they may carry secrets (-o token=...).
std::string Command() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string out;
  bool first = true;
  for (std::string word; std::getline(in, word, '\0');) {
    if (first) {
      word = word.substr(word.rfind('/') + 1);
      first = false;
    } else if (word.empty() || word[0] == '-' || word.find('=') != std::string::npos) {
      break;
    }
    for (char& c : word) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    out += (out.empty() ? "" : " ") + word;
    if (out.size() > 200) break;
  }
  return out;
}

std::string NowUtc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// The first line of the lock file.
std::string FirstLine(int fd) {
  char buffer[512];
  ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return "";
  std::string text(buffer, static_cast<size_t>(n));
  if (auto newline = text.find('\n'); newline != std::string::npos) text.resize(newline);
  return text;
}

// Whether a "pid N, ..." line names a live process.
bool NamesLiveProcess(const std::string& line) {
  long pid = 0;
  if (std::sscanf(line.c_str(), "pid %ld,", &pid) != 1 || pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// What the holder wrote. It writes just after taking the lock, so a line
// naming a process that is gone (the holder before it) is read again for a
// moment.
std::string Holder(int fd) {
  std::string line = FirstLine(fd);
  for (int i = 0; i < 50 && !NamesLiveProcess(line); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    line = FirstLine(fd);
  }
  return line.empty() ? "holder unknown" : line;
}

}  // namespace

Result<FileLock> FileLock::Acquire(const std::string& path, const std::string& what) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::IOError("cannot open lock file {}: {}", path, std::strerror(errno));
  FileLock lock(fd);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK)
      return Status::IOError("cannot lock {}: {}", path, std::strerror(errno));
    return Status::IOError(
        "{} is being written by another run ({}); wait for it to finish, or stop it (its lock "
        "{} goes with its process)",
        what, Holder(fd), path);
  }
  std::string holder = fmt::format("pid {}, since {}: {}\n", ::getpid(), NowUtc(), Command());
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t written = ::pwrite(fd, holder.data(), holder.size(), 0);
  }
  return lock;
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the lock
}

}  // namespace lakeflow
