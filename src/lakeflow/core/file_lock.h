// An exclusive lock on a file, held for as long as the object lives: the one
// writer of a destination or a stream checkpoint.
//
// It is flock(2) on `path`, which the kernel releases when the holding
// process ends, however it ends: a run killed with SIGKILL never leaves a
// lock behind. The file's contents name the holder (process id, start time,
// the command without its options, which may hold secrets), so a refused
// writer can say who holds it; stale contents from a dead holder are
// overwritten by the next one.
#pragma once

#include <string>

#include "lakeflow/core/status.h"

namespace lakeflow {

class FileLock {
 public:
  // Takes the lock on `path` (created if needed) without waiting. When another
  // process holds it: an I/O error, "`what` is being written by another run
  // (HOLDER); ...".
  static Result<FileLock> Acquire(const std::string& path, const std::string& what);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace lakeflow
